# Many short programs: the image's utilities used together from our sh.
mkdir -p work/a/b && cd work
echo "alpha beta" > a/one.txt
echo "gamma" > a/b/two.txt
cp -r a copy && ls copy copy/b
cat copy/one.txt copy/b/two.txt | wc -w
mv copy moved && ls
ln -s moved/one.txt link && cat link && ls -l link | grep -c -- '->'
rm -r moved link && ls
i=0; while [ $i -lt 30 ]; do echo "line $i" >> lines.txt; i=$((i + 1)); done
head -n 3 lines.txt; tail -n 2 lines.txt; grep -c '1$' lines.txt; grep -n 'line 2.' lines.txt | head -2
wc -l lines.txt; wc -c < lines.txt
test -f lines.txt && [ -d a ] && [ ! -e nothing ] && echo "tests ok"
chmod 600 lines.txt && ls -l lines.txt | grep -c '^-rw-------'
touch new && [ -f new ] && echo touched
rmdir a/b 2>/dev/null || echo "rmdir refused a non-empty directory"
rm a/one.txt a/b/two.txt && rmdir -p a/b && echo "rmdir -p removed it" && ls
date -d @86400 '+%Y-%m-%d %H:%M:%S'
uname -s
env -i ONLY=this PATH="$PATH" env
echo "the end" | grep -v nothing | cat

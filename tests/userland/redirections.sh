# Redirections, here-documents, descriptors and pipelines of our sh.
echo one > out.txt
echo two >> out.txt
cat < out.txt
cat out.txt | cat | cat | cat | cat | wc -l
ls no-such-file 2> err.txt; echo "ls status $?"
wc -l < err.txt
ls no-such-file > both.txt 2>&1; wc -l < both.txt
ls no-such-file 2>&1 >/dev/null | wc -l
echo to-stderr 1>&2 2>/dev/null
exec 3> fd3.txt
echo "via fd 3" >&3
echo "again fd 3" 1>&3
exec 3>&-
cat fd3.txt
exec 4< out.txt
read line <&4; echo "read: $line"
read line <&4; echo "read: $line"
exec 4<&-
while read a b; do echo "a=$a b=$b"; done <<EOT
x y z
1 2
EOT
{ echo in-group; echo err-in-group >&2; } > g.txt 2>&1; cat g.txt
for i in 1 2 3; do echo "loop $i"; done > loop.txt; cat loop.txt
if true; then echo "if output"; fi | tr_missing 2>/dev/null || echo "missing command in pipeline: $?"
false | true; echo "pipe status $?"
true | false; echo "pipe status $?"
nosuchcommand 2>/dev/null; echo "not found: $?"
./out.txt 2>/dev/null; echo "not executable: $?"
echo a b c | while read x y; do echo "x=$x y=$y"; done
echo hello | { read greeting; echo "got $greeting"; }
for f in *.txt; do echo "glob $f"; done
echo "*.txt" '*.txt' \*.txt
echo no*match [ab]*.none
mkdir -p d/e && touch d/e/f1 d/e/f2 d/g && echo d/*/* d/?
x=1; x=2 sh -c 'echo inner x=$x'; echo outer x=$x
export E=exported; sh -c 'echo E=$E'; E2=once sh -c 'echo E2=$E2'; echo "E2 after [${E2}]"
cd d; pwd | grep -c /d$; cd ..; cd - | grep -c /d$; cd - >/dev/null
> created-empty.txt; wc -c < created-empty.txt
cat <<EOF | wc -l
1
2
3
EOF
echo done >&2

# Quoting, parameters and the other expansions of our sh.
a=hello b="wor ld" c='single $a'
echo $a "$b" $c "$c"
echo "nested \"quotes\", \$dollar, \\ backslash, \`tick\`"
echo 'it''s' "a"'b'c \"plain\" \\x
set -- one "two three" four
echo $# "$@"
for x in "$@"; do echo "[$x]"; done
for x in $*; do echo "<$x>"; done
echo "$*"
echo "${1}" ${2} "${3:-none}" "${5:-none}" "${5-unset}" "${#3}"
shift
echo "after shift: $1 ($#)"
unset a
echo "a=${a}" "${a:-default}" "${a:+alt}" "${b:+alt}" "${a-dash}"
y=${y:=assigned}; echo "$y"
p=/usr/local/lib/file.tar.gz
echo ${p%.*} ${p%%.*} ${p#*/} ${p##*/} ${#p}
echo $((3 * (4 + 5) - 10 / 3)) $((7 % 3)) $((1 << 4)) $((2 > 1 && 0 || 1)) $((-5 + ~0)) $((0x10 + 010))
n=5; echo $((n * 2)) $(( n > 3 ? 100 : 200 )) $((n == 5)) $((n != 5))
echo $(echo command $(echo nested)) "`echo back ticks`"
x=$(printf_is_not_here 2>/dev/null; echo "status was $?"); echo "$x"
words="a  b   c"
echo $words "$words"
IFS=:; path="/bin:/usr/bin::/sbin"; for d in $path; do echo "dir [$d]"; done; unset IFS
echo ~ ~/sub "~" x~
echo "$HOME" | grep -c /
empty=""
for e in $empty; do echo "never"; done
for e in "$empty"; do echo "once [$e]"; done
echo \$notvar '$notvar' "\$notvar"
echo $nosuchvar- "${nosuchvar}x" -$?-
echo "tab	and spaces   kept"
cat <<EOT
here-doc $b $((1 + 1)) $(echo sub)
  indented \$escaped
EOT
cat <<'EOT'
literal $b `x` \n
EOT
cat <<-EOT
	tabs stripped, $c
	EOT

# Status, and-or lists, if/while/until/for/case, functions, subshells and groups.
false; echo "false: $?"
true; echo "true: $?"
! false; echo "negated: $?"
false && echo no || echo "or ran"
true && echo "and ran" && false || echo "chain $?"
if false; then echo then; elif true; then echo elif; else echo else; fi
if [ 3 -gt 2 ] && [ abc != abd ]; then echo "tests pass"; fi
i=0
while [ $i -lt 3 ]; do echo "while $i"; i=$((i + 1)); done
until [ $i -eq 0 ]; do i=$((i - 1)); echo "until $i"; done
for w in a b c d e; do
  if [ $w = b ]; then continue; fi
  if [ $w = d ]; then break; fi
  echo "for $w"
done
for o in 1 2; do for in in x y; do
  if [ $in = y ]; then continue 2; fi
  echo "nested $o$in"
done; done
for f in main.c util.h README Makefile x.cc; do
  case $f in
    *.h) echo "$f: header" ;;
    *.c|*.cc) echo "$f: source" ;;
    [A-Z]*) echo "$f: capital" ;;
    *) echo "$f: other" ;;
  esac
done
case "a*b" in "a*b") echo "quoted pattern matched literally" ;; esac
case axb in "a*b") echo wrong ;; a*b) echo "unquoted pattern" ;; esac
greet() { echo "hello, $1 ($#)"; return 7; }
greet world extra; echo "greet returned $?"
first_even() {
  for n in "$@"; do
    if [ $((n % 2)) -eq 0 ]; then return $n; fi
  done
  return 0
}
first_even 3 5 8 10; echo "first even: $?"
count() { c=0; while read -r line; do c=$((c + 1)); done; echo "$c lines"; }
printf_free() { echo one; echo two; echo three; }
printf_free | count
{ echo group1; echo group2; } | cat
(echo in subshell; exit 3); echo "subshell status $?"
(cd /; pwd); pwd | grep -c /
v=outer; (v=inner; echo "sub sees $v"); echo "parent keeps $v"
eval 'echo eval $((2 + 3))'; cmd="echo from eval"; eval "$cmd"
set -- x y z; echo "positional $# $2"
type cd | grep -c builtin
n=0; while true; do n=$((n + 1)); [ $n -ge 50 ] && break; done; echo "looped $n"
echo "line one" \
  "continued"
exit 4

# A script's arguments: $0, $#, $1..., "$@", shift.
echo "script $0 got $# arguments"
n=1
for a in "$@"; do echo "\$$n = [$a]"; n=$((n + 1)); done
shift
echo "after shift: $# left, first [$1]"
set -- reset
echo "set --: $# [$1]"

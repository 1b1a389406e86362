# Background jobs, $!, wait, kill and signals in a non-interactive sh.
sleep 0.2 & p=$!
echo started
wait $p; echo "wait status $?"
sleep 5 & p=$!
kill $p; wait $p; echo "killed status $?"
sleep 5 & p=$!
kill -9 $p; wait $p; echo "kill -9 status $?"
# (the pause lets the child set SIGINT to ignored first: a shell without job control does so
# in the child after fork, so a signal sent at once may find it still at the default)
sleep 1 & p=$!
sleep 0.2; kill -s INT $p; wait $p; echo "SIGINT status $?"
(exit 7) & wait $!; echo "background exit $?"
sleep 5 & kill %1; wait $!; echo "kill %1 without job control: $?"
(sleep 0.1; exit 3) & a=$!
(sleep 0.2; exit 4) & b=$!
wait $b; echo "b: $?"; wait $a; echo "a: $?"
sleep 0.1 & sleep 0.1 & wait; echo "waited for all: $?"
(sleep 0.1; echo "from the background") & wait
echo x | (sleep 0.1; cat) & wait
kill -0 $$ && echo "kill -0 on the shell works"
wait 99999; echo "wait for a stranger: $?"
kill -l 9; kill -l 143; kill -l TERM
sh -c 'kill -TERM $$'; echo "sh killed itself: $?"
sh -c 'exit 300'; echo "exit 300: $?"
i=0; while [ $i -lt 20 ]; do true & i=$((i + 1)); done; wait; echo "twenty jobs reaped"

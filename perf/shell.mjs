// How the perf scripts start the bash that times a command (`times` gives the CPU time of all its
// children). Without --norc, bash sources ~/.bashrc when its stdin is a socket (it takes that for
// rshd or sshd starting it), and Node gives a child's stdin as one: a run started outside an
// interactive shell (from cron, an agent, `nohup ... &`) then timed the user's .bashrc with every
// native and qemu-i386 run. On a machine whose .bashrc ran `pyenv init`, that added some 450 ms
// to each (a 108 ms native sieve measured 570 ms); exojit's figure, its own guest time, did not
// have it.
export const BASH = ["--norc", "--noprofile"];

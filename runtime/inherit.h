/* GREENPATCH_NO_INHERIT=1: the shim stays in this process only. LD_PRELOAD is inherited by
 * every program the process execs (a shell script's commands, a test runner's tests), which
 * is what running a whole CI suite under the shim needs; with this setting the shim takes
 * itself out of the process's environment before main, so that the programs it execs run
 * without it. */
#ifndef GP_INHERIT_H
#define GP_INHERIT_H

/* Removes every LD_PRELOAD entry that names this library (the variable itself when nothing
 * else is left) and the GREENPATCH_NO_INHERIT variable. Called once, at initialisation,
 * while the process has one thread. */
void gp__inherit_stop(void);

#endif

// The C side of the live backend: what Swift cannot call directly (variadic ptrace,
// wait-status macros, fork+exec with nothing but async-signal-safe calls in between).
#ifndef CSYSTEM_H
#define CSYSTEM_H

#include <sys/types.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdint.h>

/// ptrace(2) without the variadic signature; returns -1 and sets errno on error.
long cs_ptrace(int request, pid_t pid, uint64_t addr, uint64_t data);

/// Forks a child that asks to be traced, optionally disables ASLR and puts itself in a
/// process group of its own (so the terminal can be handed to it), moves to `cwd` (NULL:
/// stays), takes `stdio[0..2]` as its fds 0-2 (-1 keeps the debugger's), and execs `path`.
/// Returns the child's pid, or -1 with `*error_out` set to the errno of the failed step
/// (exec failures are reported back through a close-on-exec pipe).
pid_t cs_launch(const char *path, char *const argv[], char *const envp[], int disable_aslr, int new_group,
                const char *cwd, const int stdio[3], int *error_out);
/* What Ctrl-C does, from any thread (a DAP `pause` arrives on the adapter's reader thread). */
void cs_request_break(void);

/// Makes `group` the terminal's foreground process group (SIGTTOU blocked meanwhile, as a
/// background caller would otherwise be stopped). Returns -1 when stdin is not a terminal.
int cs_set_foreground(pid_t group);

/// waitpid(2) with __WALL so clone children are reported too.
pid_t cs_wait(pid_t pid, int *status, int nohang);

int cs_wifstopped(int status);
int cs_wstopsig(int status);
int cs_wifexited(int status);
int cs_wexitstatus(int status);
int cs_wifsignaled(int status);
int cs_wtermsig(int status);
/// The PTRACE_EVENT_* number carried in the high bits of a stop status, or 0.
int cs_ptrace_event(int status);

/// Sends a signal to one thread (tgkill has no glibc wrapper before 2.30 on every system).
int cs_tgkill(pid_t pid, pid_t tid, int sig);

/// 1 when two processes share one address space (kcmp KCMP_VM), 0 when not, -1 when unknown.
int cs_same_address_space(pid_t first, pid_t second);

/// Reads target memory with process_vm_readv; returns bytes read or -1.
long cs_read_memory(pid_t pid, uint64_t address, void *buffer, uint64_t length);

/// Writes target memory with process_vm_writev, which honours page protections (unlike
/// /proc/pid/mem): a write the program itself could not make fails. Returns bytes written or -1.
long cs_write_memory_as_program(pid_t pid, uint64_t address, const void *buffer, uint64_t length);

/// Installs a SIGINT handler that records a break-in request and stops `target_pid`
/// (set with cs_set_break_target) with SIGSTOP, so Ctrl-C breaks into a running target.
void cs_install_break_handler(void);
void cs_set_break_target(pid_t pid);
/// A gdb-remote connection Ctrl-C writes the interrupt byte to instead (-1: none), while
/// armed (the stub is running the target).
void cs_set_break_socket(int fd);
void cs_arm_break_socket(int armed);
/// Whether Ctrl-C was pressed since the last call, and clears it: 0 no, 1 yes (while no
/// target ran), 3 yes and the running target was sent SIGSTOP, 4 yes and the stub was sent
/// the interrupt byte.
int cs_take_break_request(void);
/// The request cs_take_break_request would return, left in place.
int cs_peek_break_request(void);

/// Installs a SIGHUP handler (the terminal went away): it records the hangup and stops a
/// running target as Ctrl-C does, so the session can end cleanly instead of dying with the
/// program's bytes still changed. SIGPIPE is ignored from then on.
void cs_install_hangup_handler(void);
/// 1 once a SIGHUP arrived.
int cs_hangup_seen(void);

/// The calling thread's kernel id.
pid_t cs_gettid(void);

/// Opens a uprobe perf event (the `uprobe` PMU of type `pmu_type`) on `path` at file
/// offset `offset`, for the address space of `pid`, disabled; -1 with errno on error.
int cs_uprobe_open(int pmu_type, const char *path, uint64_t offset, pid_t pid);

/// Attaches a loaded BPF program to a perf event and enables it; -1 with errno on error.
int cs_perf_attach_bpf(int event_fd, int program_fd);

/// Loads a kprobe-type BPF program (what a uprobe event runs) from `count` 8-byte
/// instructions; on failure, the verifier's log in `log`. -1 with errno on error.
int cs_bpf_load_probe_program(const uint64_t *instructions, uint32_t count, char *log, uint32_t log_size);

/// A BPF map (hash or array); -1 with errno on error.
int cs_bpf_map_create(int array, uint32_t key_size, uint32_t value_size, uint32_t entries);
int cs_bpf_map_lookup(int map, const void *key, void *value);
int cs_bpf_map_update(int map, const void *key, const void *value);
int cs_bpf_map_delete(int map, const void *key);

#endif

#define _GNU_SOURCE
#include "csystem.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

long cs_ptrace(int request, pid_t pid, uint64_t addr, uint64_t data) {
    errno = 0;
    return ptrace((enum __ptrace_request)request, pid, (void *)addr, (void *)data);
}

pid_t cs_launch(const char *path, char *const argv[], char *const envp[], int disable_aslr, int new_group,
                const char *cwd, const int stdio[3], int *error_out) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) { *error_out = errno; return -1; }
    pid_t pid = fork();
    if (pid < 0) { *error_out = errno; close(fds[0]); close(fds[1]); return -1; }
    if (pid == 0) {
        close(fds[0]);
        int err = 0;
        /* The debugger ignores SIGPIPE; the program starts with the default, as from a shell. */
        signal(SIGPIPE, SIG_DFL);
        if (new_group) setpgid(0, 0);
        for (int fd = 0; fd < 3; fd++) {
            if (stdio[fd] >= 0 && stdio[fd] != fd && dup2(stdio[fd], fd) < 0) {
                err = errno;
                goto failed;
            }
        }
        if (cwd && chdir(cwd) != 0) {
            err = errno;
            goto failed;
        }
        if (disable_aslr) {
            int persona = personality(0xffffffff);
            if (persona != -1) personality(persona | ADDR_NO_RANDOMIZE);
        }
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) {
            err = errno;
        } else {
            execve(path, argv, envp);
            err = errno;
        }
    failed:;
        ssize_t ignored = write(fds[1], &err, sizeof err);
        (void)ignored;
        _exit(127);
    }
    close(fds[1]);
    if (new_group) setpgid(pid, pid);
    int child_error = 0;
    ssize_t n;
    do { n = read(fds[0], &child_error, sizeof child_error); } while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n == sizeof child_error) {
        int status;
        waitpid(pid, &status, __WALL);
        *error_out = child_error;
        return -1;
    }
    return pid;
}

pid_t cs_wait(pid_t pid, int *status, int nohang) {
    return waitpid(pid, status, __WALL | (nohang ? WNOHANG : 0));
}

int cs_wifstopped(int status) { return WIFSTOPPED(status); }
int cs_wstopsig(int status) { return WSTOPSIG(status); }
int cs_wifexited(int status) { return WIFEXITED(status); }
int cs_wexitstatus(int status) { return WEXITSTATUS(status); }
int cs_wifsignaled(int status) { return WIFSIGNALED(status); }
int cs_wtermsig(int status) { return WTERMSIG(status); }
int cs_ptrace_event(int status) { return (status >> 16) & 0xff; }

int cs_tgkill(pid_t pid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, pid, tid, sig); }

int cs_same_address_space(pid_t first, pid_t second) {
    long result = syscall(SYS_kcmp, first, second, 1 /* KCMP_VM */, 0, 0);
    return result < 0 ? -1 : result == 0;
}

long cs_read_memory(pid_t pid, uint64_t address, void *buffer, uint64_t length) {
    struct iovec local = { buffer, length };
    struct iovec remote = { (void *)address, length };
    return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

long cs_write_memory_as_program(pid_t pid, uint64_t address, const void *buffer, uint64_t length) {
    struct iovec local = { (void *)buffer, length };
    struct iovec remote = { (void *)address, length };
    return process_vm_writev(pid, &local, 1, &remote, 1, 0);
}

static volatile sig_atomic_t break_requested = 0;
static volatile pid_t break_target = 0;
static volatile int break_socket = -1;
static volatile sig_atomic_t break_socket_armed = 0;

/* What Ctrl-C (or a hangup) does while a target runs: a local process gets SIGSTOP; a
   gdb-remote stub gets the interrupt byte, but only while it runs the target (a stopped
   gdbserver would turn it into a SIGINT for the program's next run). Otherwise the request
   is recorded and the next run breaks in. */
static void break_in(void) {
    int saved_errno = errno;
    int socket = break_socket;
    pid_t target = break_target;
    if (socket >= 0) {
        if (break_socket_armed) {
            char interrupt = 3;
            (void)!write(socket, &interrupt, 1);
            break_requested = 4;
        } else {
            break_requested = 1;
        }
    } else if (target <= 0) {
        break_requested = 1;
    } else {
        /* Sent before it is recorded: whoever takes the request finds the SIGSTOP pending. */
        kill(target, SIGSTOP);
        break_requested = 3;
    }
    errno = saved_errno;
}

void cs_request_break(void) {
    /* From another thread than the tracer's: the request is recorded before the SIGSTOP goes
       out, or the tracer's waitpid could see the stop first and take it for someone's
       kill -STOP (the signal handler's order is safe: it interrupts that waitpid). */
    pid_t target = break_target;
    if (break_socket < 0 && target > 0) {
        break_requested = 3;
        kill(target, SIGSTOP);
        return;
    }
    break_in();
}

static void on_sigint(int sig) {
    (void)sig;
    break_in();
}

void cs_install_break_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sigint;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
}

void cs_set_break_target(pid_t pid) { break_target = pid; }
void cs_set_break_socket(int fd) { break_socket = fd; }
void cs_arm_break_socket(int armed) { break_socket_armed = armed; }
int cs_peek_break_request(void) { return break_requested; }

static volatile sig_atomic_t hangup_seen = 0;

static void on_sighup(int sig) {
    (void)sig;
    hangup_seen = 1;
    break_in();
}

void cs_install_hangup_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_sighup;
    sigemptyset(&action.sa_mask);
    sigaction(SIGHUP, &action, NULL);
    /* A closed pipe or terminal is an error on write, not a signal that ends the session. */
    signal(SIGPIPE, SIG_IGN);
}

int cs_hangup_seen(void) { return hangup_seen; }

int cs_take_break_request(void) {
    /* One exchange, so a Ctrl-C arriving between a read and a clear is not lost. */
    return __atomic_exchange_n(&break_requested, 0, __ATOMIC_SEQ_CST);
}

pid_t cs_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int cs_set_foreground(pid_t group) {
    if (!isatty(0)) return -1;
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGTTOU);
    sigprocmask(SIG_BLOCK, &block, &saved);
    int result = tcsetpgrp(0, group);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return result;
}

int cs_uprobe_open(int pmu_type, const char *path, uint64_t offset, pid_t pid) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = (uint32_t)pmu_type;
    attr.config1 = (uint64_t)(uintptr_t)path;  /* uprobe_path */
    attr.config2 = offset;                     /* probe_offset */
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    attr.disabled = 1;
    return (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int cs_perf_attach_bpf(int event_fd, int program_fd) {
    if (ioctl(event_fd, PERF_EVENT_IOC_SET_BPF, program_fd) < 0) return -1;
    return ioctl(event_fd, PERF_EVENT_IOC_ENABLE, 0);
}

int cs_bpf_load_probe_program(const uint64_t *instructions, uint32_t count, char *log, uint32_t log_size) {
    LIBBPF_OPTS(bpf_prog_load_opts, quiet);
    int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "swdbg_condition", "GPL", (const struct bpf_insn *)instructions, count, &quiet);
    if (fd >= 0 || log == NULL) return fd;
    /* Again with the verifier's log, for the error message. */
    LIBBPF_OPTS(bpf_prog_load_opts, verbose, .log_buf = log, .log_size = log_size, .log_level = 1);
    int saved = errno;
    fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "swdbg_condition", "GPL", (const struct bpf_insn *)instructions, count, &verbose);
    if (fd < 0) errno = saved;
    return fd;
}

int cs_bpf_map_create(int array, uint32_t key_size, uint32_t value_size, uint32_t entries) {
    return bpf_map_create(array ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_HASH, "swdbg", key_size, value_size, entries, NULL);
}

int cs_bpf_map_lookup(int map, const void *key, void *value) { return bpf_map_lookup_elem(map, key, value); }
int cs_bpf_map_update(int map, const void *key, const void *value) { return bpf_map_update_elem(map, key, value, BPF_ANY); }
int cs_bpf_map_delete(int map, const void *key) { return bpf_map_delete_elem(map, key); }

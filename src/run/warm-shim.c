/*
 * The native `mcp-sandbox` a client starts (dist/native/mcp-sandbox, built by scripts/build.mjs
 * when a C compiler exists). A node process per client-started server costs more CPU than a warm
 * start may take when a client starts ten at once, so on the warm path no node process starts:
 * this program hands the session to the warm-start broker in the pool reaper
 * (src/run/warm-broker.ts) and relays bytes. Frames: one type byte, a 4-byte big-endian length,
 * the payload (src/run/warm-frames.ts).
 *
 *   shim -> broker: H header (magic, cwd, argc, args, environment), I stdin bytes, E stdin EOF,
 *                   S signal (1 byte), P our stdout is closed
 *   broker -> shim: W warm (the session is ours) or C cold, then O stdout, R stderr, X exit code
 *
 * Anything else than `run`, no broker socket, a directory that is not ours, a refused connection,
 * or a C answer: exec node on bin/mcp-sandbox.js with the same arguments, stdin untouched (it is
 * never read before W). The environment travels on the socket, never on argv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MCP_SANDBOX_NODE
#define MCP_SANDBOX_NODE "node"
#endif
#define MAGIC "mcp-sandbox-shim 1"
#define MAX_HEADER (4u << 20)
#define CHUNK 65536

extern char **environ;

/* node's flags for `run`: RUN_NODE_FLAGS in src/clients/launcher.ts (why there; a unit test keeps them equal). */
static const char *const RUN_NODE_FLAGS[] = {"--lite-mode", "--no-expose-wasm"};
#define RUN_NODE_FLAG_COUNT (sizeof RUN_NODE_FLAGS / sizeof RUN_NODE_FLAGS[0])

/* The node launcher: <package>/bin/mcp-sandbox.js, the package being three levels above this file. */
static void cold(int argc, char **argv) {
  char self[PATH_MAX], bin[PATH_MAX + 32];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    if (!realpath(argv[0], self)) self[0] = 0;
  } else self[n] = 0;
  for (int up = 0; up < 3; up++) {
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
  }
  snprintf(bin, sizeof bin, "%s/bin/mcp-sandbox.js", self);
  char **args = calloc((size_t)argc + 2 + RUN_NODE_FLAG_COUNT, sizeof *args);
  if (!args) _exit(70);
  size_t at = 0;
  args[at++] = MCP_SANDBOX_NODE;
  if (argc >= 2 && strcmp(argv[1], "run") == 0)
    for (size_t f = 0; f < RUN_NODE_FLAG_COUNT; f++) args[at++] = (char *)RUN_NODE_FLAGS[f];
  args[at++] = bin;
  for (int i = 1; i < argc; i++) args[at++] = argv[i];
  if (access(MCP_SANDBOX_NODE, X_OK) == 0) execv(MCP_SANDBOX_NODE, args);
  args[0] = "node";
  execvp("node", args);
  fprintf(stderr, "mcp-sandbox: cannot start node (%s): %s\n", MCP_SANDBOX_NODE, strerror(errno));
  _exit(70);
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = fd < 3 ? write(fd, p, len) : send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int send_frame(int sock, char type, const void *data, uint32_t len) {
  unsigned char head[5] = {(unsigned char)type, len >> 24, len >> 16, len >> 8, len};
  return write_all(sock, head, 5) || (len && write_all(sock, data, len)) ? -1 : 0;
}

/* Appends s and its NUL; fails past MAX_HEADER. */
static int put(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s) + 1;
  if (*len + n > MAX_HEADER) return -1;
  if (*len + n > *cap) {
    size_t next = *cap * 2 > *len + n ? *cap * 2 : *len + n;
    char *grown = realloc(*buf, next);
    if (!grown) return -1;
    *buf = grown;
    *cap = next;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  return 0;
}

/* The broker's socket, only in an owner-only directory of ours: it is told the environment. */
static int connect_broker(void) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = getenv("TMP");
  if (!tmp || !*tmp) tmp = getenv("TEMP");
  if (!tmp || !*tmp) tmp = "/tmp";
  size_t tl = strlen(tmp);
  while (tl > 1 && tmp[tl - 1] == '/') tl--;
  char dir[PATH_MAX];
  int dl = snprintf(dir, sizeof dir, "%.*s/mcp-sandbox-%u-broker.d", (int)tl, tmp, (unsigned)getuid());
  struct stat st;
  if (dl <= 0 || (size_t)dl >= sizeof dir || lstat(dir, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/broker.sock", dir) >= (int)sizeof addr.sun_path) return -1;
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(sock);
    return -1;
  }
  return sock;
}

static int read_all(int fd, void *data, size_t len) {
  char *p = data;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Header sent, answer read: 1 when the broker took the session. */
static int handshake(int sock, int argc, char **argv) {
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap), count[16];
  char *cwd = getcwd(NULL, 0);
  int ok = buf && cwd && put(&buf, &len, &cap, MAGIC) == 0 && put(&buf, &len, &cap, cwd) == 0;
  snprintf(count, sizeof count, "%d", argc - 1);
  ok = ok && put(&buf, &len, &cap, count) == 0;
  for (int i = 1; ok && i < argc; i++) ok = put(&buf, &len, &cap, argv[i]) == 0;
  for (char **e = environ; ok && *e; e++) ok = put(&buf, &len, &cap, *e) == 0;
  ok = ok && send_frame(sock, 'H', buf, (uint32_t)len) == 0;
  free(cwd);
  free(buf);
  unsigned char head[5];
  return ok && read_all(sock, head, 5) == 0 && head[0] == 'W';
}

static int signal_pipe[2] = {-1, -1};

static void on_signal(int signo) {
  int saved = errno;
  unsigned char b = (unsigned char)signo;
  if (write(signal_pipe[1], &b, 1) < 0) {
    /* full: the broker already has one pending */
  }
  errno = saved;
}

/* Carries the session until the broker's X frame (its exit code) or its going away. */
static int relay(int sock) {
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 70;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  static char buf[CHUNK];
  unsigned char head[5];
  size_t have = 0;
  uint32_t left = 0;
  int stdin_open = 1, stdout_open = 1, code = 0;
  for (;;) {
    struct pollfd fds[3] = {{sock, POLLIN, 0}, {signal_pipe[0], POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 70;
    }
    if (fds[1].revents & POLLIN) {
      unsigned char signo;
      while (read(signal_pipe[0], &signo, 1) == 1) send_frame(sock, 'S', &signo, 1);
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0 && send_frame(sock, 'I', buf, (uint32_t)n) != 0) break;
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        stdin_open = 0;
        if (send_frame(sock, 'E', NULL, 0) != 0) break;
      }
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = read(sock, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (size_t off = 0; off < (size_t)n;) {
      if (have < 5) {
        size_t take = 5 - have < (size_t)n - off ? 5 - have : (size_t)n - off;
        memcpy(head + have, buf + off, take);
        have += take;
        off += take;
        if (have < 5) break;
        left = (uint32_t)head[1] << 24 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 8 | head[4];
      } else {
        size_t take = left < (size_t)n - off ? left : (size_t)n - off;
        if (head[0] == 'O' && stdout_open && write_all(1, buf + off, take) != 0) {
          stdout_open = 0;
          send_frame(sock, 'P', NULL, 0);
        } else if (head[0] == 'R') write_all(2, buf + off, take);
        else if (head[0] == 'X' && take > 0) code = (unsigned char)buf[off + take - 1];
        off += take;
        left -= (uint32_t)take;
      }
      if (have == 5 && left == 0) {
        if (head[0] == 'X') return code;
        have = 0;
      }
    }
  }
  static const char gone[] = "mcp-sandbox: the warm-start broker (pool reaper) went away; the session is lost\n";
  write_all(2, gone, sizeof gone - 1);
  return 70;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "run") != 0) cold(argc, argv);
  int sock = connect_broker();
  if (sock < 0) cold(argc, argv);
  if (!handshake(sock, argc, argv)) {
    close(sock);
    cold(argc, argv);
  }
  return relay(sock);
}

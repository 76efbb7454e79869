#!/usr/bin/env python3
"""What systemd does for a socket-activated service, for tests: opens the listening sockets,
starts COMMAND with them as descriptors 3, 4, ... (LISTEN_FDS, LISTEN_PID), and keeps them
open across restarts of COMMAND, as a .socket unit does across `systemctl restart`.

socket_activate.py --listen HOST:PORT [--listen ...] --pidfile FILE -- COMMAND ARGS...

SIGHUP restarts COMMAND (SIGTERM, wait, start again with the same sockets); SIGTERM stops it
and exits; a COMMAND that exits on its own is reaped and not restarted. FILE holds the running COMMAND's pid (written before it is started anew).
"""
import argparse
import fcntl
import os
import signal
import socket
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", action="append", required=True)
    p.add_argument("--pidfile", required=True)
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    sockets = []
    for spec in args.listen:
        host, _, port = spec.rpartition(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(4096)
        sockets.append(s)

    signals = {signal.SIGHUP, signal.SIGTERM, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)  # taken by sigwait below, never lost

    def start():
        pid = os.fork()
        if pid == 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)  # a mask survives exec
            # Out of the way first: a socket may itself be descriptor 3 or 4 (close-on-exec).
            high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in sockets]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i, inheritable=True)
            env = dict(os.environ, LISTEN_FDS=str(len(sockets)), LISTEN_PID=str(os.getpid()))
            os.execvpe(command[0], command, env)
        with open(args.pidfile + ".tmp", "w") as f:
            f.write(f"{pid}\n")
        os.rename(args.pidfile + ".tmp", args.pidfile)
        return pid

    child = start()
    while True:
        sig = signal.sigwait(signals)
        if sig == signal.SIGCHLD:  # it exited on its own: reaped, so it reads as gone
            if child is not None and os.waitpid(child, os.WNOHANG)[0] == child:
                child = None
            continue
        if child is not None:
            os.kill(child, signal.SIGTERM)
            os.waitpid(child, 0)
            child = None
        if sig == signal.SIGTERM:
            sys.exit(0)
        child = start()

if __name__ == "__main__":
    main()

/**
 * Which TCP sockets a process tree listens on, read from /proc (Linux): the safety tests assert
 * that every server the project starts binds 127.0.0.1 only, and asking the kernel is the only
 * way to see what a child process (a Jupyter kernel, say) really bound.
 */
import fs from 'node:fs';

/** One listening socket. */
export interface Listener {
  pid: number;
  address: string;
  port: number;
}

// /proc/net/tcp* print addresses as hex words in host byte order (little-endian here).
function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => [3, 2, 1, 0].map((i) => word.slice(i * 2, i * 2 + 2)));
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(`${bytes[i]}${bytes[i + 1]}`.replace(/^0+(?=.)/, ''));
  return groups.join(':');
}

const LISTEN = '0A';

function listeningInodes(): Map<string, { address: string; port: number }> {
  const inodes = new Map<string, { address: string; port: number }>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== LISTEN) continue;
      const [address, port] = fields[1].split(':');
      inodes.set(fields[9], { address: decodeAddress(address), port: parseInt(port, 16) });
    }
  }
  return inodes;
}

/** The process and all its descendants, from /proc/<pid>/stat parent links. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch {
      // The process exited while we looked.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Every TCP socket the process tree under `root` listens on. */
export function listeners(root: number): Listener[] {
  const inodes = listeningInodes();
  const found: Listener[] = [];
  for (const pid of processTree(root)) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode === undefined ? undefined : inodes.get(inode);
      if (socket) found.push({ pid: pid, ...socket });
    }
  }
  return found;
}

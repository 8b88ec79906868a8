/** Whether a process exists, for tests that check nothing is left behind. */
import fs from 'node:fs';

/** True while the pid exists at all (a zombie not yet reaped still counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while the pid exists and is not a zombie: a zombie is dead, only listed until reaped. */
export function running(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

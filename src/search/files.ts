/**
 * The file set of a search and how a file is read, with GNU grep's `-r -I` semantics so that hits
 * can be compared with grep's line for line: symlinks met while recursing are not followed (a root
 * given by name is), and a file whose first read buffer holds a NUL byte is binary and skipped.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * GNU grep's read buffer (96 KiB, measured with grep 3.8: a NUL at offset 98303 skips the file,
 * one at 98304 does not). grep -I decides "binary" per buffer, so the first buffer decides the file.
 */
export const GREP_BUFFER_BYTES = 96 * 1024;

/** One file to search: its absolute path and its path relative to the root it was found under. */
export interface SearchFile {
  file: string;
  relative: string;
}

/** Files that a filter keeps, given their path relative to their root (`lib/socket.js`). */
export type IncludeFilter = (relative: string) => boolean;

/**
 * Every regular file under the roots, root by root and sorted by name within each folder, each
 * file once even where roots overlap.
 * A root may itself be a file.
 */
export function listFiles(roots: readonly string[], include?: IncludeFilter): SearchFile[] {
  const files: SearchFile[] = [];
  const seen = new Set<string>();
  const add = (file: string, relative: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!include || include(relative)) files.push({ file, relative });
  };
  const walk = (dir: string, relative: string): void => {
    // Sorted so that hits come in the same order on every machine (readdir's order is the disk's).
    const entries = fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      // grep -r skips symlinks below its roots, to files and folders alike.
      if (entry.isDirectory()) walk(file, rel);
      else if (entry.isFile()) add(file, rel);
    }
  };
  for (const root of roots) {
    const absolute = path.resolve(root);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute); // follows a symlinked root, as grep does for its arguments
    } catch {
      throw new Error(`search: root ${root} does not exist; pass an installed folder (e.g. from stackPackageDirs)`);
    }
    if (stat.isDirectory()) walk(absolute, '');
    else if (stat.isFile()) add(absolute, path.basename(absolute));
  }
  return files;
}

/**
 * Reads files into one reused buffer: a search touches thousands of files, and a fresh allocation
 * per file costs more than the read (page faults on this machine).
 */
export class TextReader {
  private buffer = Buffer.allocUnsafe(1024 * 1024);

  /**
   * The searchable bytes of a file, or null when it is binary. Only valid until the next call.
   * A NUL later in the file ends the text at the last whole line before the grep buffer that holds
   * it, because grep -I stops there and assumes the rest does not match (grep's later buffers shift
   * by the partial line it carries over, so this boundary is close to grep's, not always equal).
   */
  read(file: string): Buffer | null {
    const fd = fs.openSync(file, 'r');
    try {
      // Most files are smaller than one grep buffer: one read answers both "binary?" and "what is
      // in it", and fstat is only needed for the larger ones.
      let length = fs.readSync(fd, this.buffer, 0, GREP_BUFFER_BYTES, 0);
      if (this.buffer.subarray(0, length).indexOf(0) !== -1) return null;
      if (length === GREP_BUFFER_BYTES) {
        this.ensure(fs.fstatSync(fd).size + 1, length);
        for (;;) {
          if (length === this.buffer.length) this.ensure(this.buffer.length * 2, length); // the file grew
          const got = fs.readSync(fd, this.buffer, length, this.buffer.length - length, length);
          if (got === 0) break;
          length += got;
        }
        const lateNul = this.buffer.subarray(0, length).indexOf(0, GREP_BUFFER_BYTES);
        if (lateNul !== -1) {
          const blockStart = Math.floor(lateNul / GREP_BUFFER_BYTES) * GREP_BUFFER_BYTES;
          length = this.buffer.lastIndexOf(10, blockStart - 1) + 1; // whole lines only
        }
      }
      return this.buffer.subarray(0, length);
    } finally {
      fs.closeSync(fd);
    }
  }

  private ensure(capacity: number, keep = 0): void {
    if (capacity <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(capacity);
    this.buffer.copy(bigger, 0, 0, keep);
    this.buffer = bigger;
  }
}

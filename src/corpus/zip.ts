import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Inflate } from 'fflate';
import { RestyleError } from '../errors.js';

/** How much a zip may unpack to: a zip bomb stops at the first cap it crosses, before it fills memory. */
export interface ZipLimits {
  /** Uncompressed bytes of one entry. */
  maxEntryBytes: number;
  /** Uncompressed bytes of every entry read from one zip, together. */
  maxTotalBytes: number;
  /** Uncompressed ÷ compressed size of one entry (checked once it has unpacked 1 MB). */
  maxRatio: number;
}

/**
 * Defaults that fit a large real workspace export: one Slack channel-day file is kilobytes to a few MB, so
 * 256 MB per entry is far above any real one while a single entry still fits in memory; 4 GB in all covers
 * years of a big workspace. Real export JSON compresses 2–10× (the test exports here: 1.6–9×); deflate can
 * reach ~1,000×, which only a bomb uses, so 100× leaves headroom for repetitive JSON.
 */
export const ZIP_DEFAULTS: ZipLimits = { maxEntryBytes: 256 * 2 ** 20, maxTotalBytes: 4 * 2 ** 30, maxRatio: 100 };

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  /** As the archive declares it (a bomb may lie; what actually unpacks is counted too). */
  size: number;
  localOffset: number;
  encrypted: boolean;
}

/** Compressed bytes pushed to the inflater at a time: bounds what one push can unpack to (~1,000× this). */
const READ_CHUNK = 4 * 1024;
/** The ratio is judged once an entry has unpacked this much (tiny entries may compress very well). */
const RATIO_GRACE = 2 ** 20;

const mb = (n: number): string =>
  n >= 2 ** 20 ? `${(n / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB` : `${(n / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KB`;

/**
 * A zip file read from disk one entry at a time: the central directory is read once; an entry is unpacked
 * only when asked for, in small pieces, counted against the limits as it unpacks.
 */
export class ZipReader {
  readonly entries: ZipEntry[];
  private unpacked = 0;

  private constructor(
    private readonly fd: number,
    private readonly shown: string,
    private readonly limits: ZipLimits,
    entries: ZipEntry[],
  ) {
    this.entries = entries;
  }

  /** Open a zip; anything that is not a readable zip is a `file_invalid` naming the file. */
  static open(path: string, shown: string, limits: ZipLimits = ZIP_DEFAULTS): ZipReader {
    const fd = openSync(path, 'r');
    try {
      return new ZipReader(fd, shown, limits, readDirectory(fd, shown));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** One entry's bytes, unpacked; stops with `file_invalid` naming the entry and the cap it crossed. */
  read(entry: ZipEntry): Uint8Array {
    const where = `${this.shown}: entry ${entry.name}`;
    const fail = (why: string): never => {
      throw new RestyleError('file_invalid', `${where}: ${why}`, { details: { file: this.shown, entry: entry.name } });
    };
    const { maxEntryBytes, maxTotalBytes, maxRatio } = this.limits;
    if (entry.encrypted) fail('encrypted entries are not supported');
    if (entry.method !== 0 && entry.method !== 8) fail(`compression method ${entry.method} is not supported (only stored and deflate)`);
    if (entry.size > maxEntryBytes) fail(`declares ${mb(entry.size)} unpacked, over the ${mb(maxEntryBytes)} cap per entry (corpus.zip.maxEntryMB)`);
    if (this.unpacked + entry.size > maxTotalBytes) fail(`the zip would unpack to more than the ${mb(maxTotalBytes)} cap in total (corpus.zip.maxTotalMB)`);
    const header = Buffer.alloc(30);
    readSync(this.fd, header, 0, 30, entry.localOffset);
    if (header.readUInt32LE(0) !== 0x04034b50) fail('damaged (no local header where the directory points)');
    let pos = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const end = pos + entry.compressedSize;

    const chunks: Uint8Array[] = [];
    let size = 0;
    const take = (data: Uint8Array): void => {
      size += data.length;
      this.unpacked += data.length;
      if (size > maxEntryBytes) fail(`unpacks to more than the ${mb(maxEntryBytes)} cap per entry (corpus.zip.maxEntryMB)`);
      if (this.unpacked > maxTotalBytes) fail(`the zip unpacks to more than the ${mb(maxTotalBytes)} cap in total (corpus.zip.maxTotalMB)`);
      if (size > RATIO_GRACE && size > maxRatio * entry.compressedSize) fail(`unpacks to over ${maxRatio}× its compressed size (${mb(entry.compressedSize)} → ${mb(size)} so far), over the compression ratio cap (corpus.zip.maxRatio): a zip bomb?`);
      chunks.push(data);
    };
    let inflateError: Error | undefined;
    const inflate = entry.method === 8 ? new Inflate((data) => take(data)) : undefined;
    const buf = Buffer.alloc(READ_CHUNK);
    while (pos < end) {
      const n = readSync(this.fd, buf, 0, Math.min(READ_CHUNK, end - pos), pos);
      if (n === 0) fail('damaged (the file ends inside the entry)');
      pos += n;
      const piece = new Uint8Array(buf.subarray(0, n));
      if (!inflate) take(piece);
      else {
        try {
          inflate.push(piece, pos >= end);
        } catch (error) {
          if (error instanceof RestyleError) throw error;
          inflateError = error as Error;
          break;
        }
      }
    }
    if (inflate && entry.compressedSize === 0) inflate.push(new Uint8Array(0), true);
    if (inflateError) fail(`damaged (${inflateError.message})`);
    const out = new Uint8Array(size);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** One entry as UTF-8 text. */
  readText(entry: ZipEntry): string {
    return new TextDecoder().decode(this.read(entry));
  }
}

/** The central directory: every entry's name, sizes and where its data starts (zip64 included). */
function readDirectory(fd: number, shown: string): ZipEntry[] {
  const bad = (why: string): never => {
    throw new RestyleError('file_invalid', `${shown}: not a readable zip (${why})`, { details: { file: shown } });
  };
  const fileSize = fstatSync(fd).size;
  const tailSize = Math.min(fileSize, 22 + 0xffff);
  const tail = Buffer.alloc(tailSize);
  readSync(fd, tail, 0, tailSize, fileSize - tailSize);
  let eocd = -1;
  for (let i = tailSize - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end of central directory');
  let count = tail.readUInt16LE(eocd + 10);
  let dirSize = tail.readUInt32LE(eocd + 12);
  let dirOffset = tail.readUInt32LE(eocd + 16);
  if ((count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) && eocd >= 20 && tail.readUInt32LE(eocd - 20) === 0x07064b50) {
    const z64 = Buffer.alloc(56);
    readSync(fd, z64, 0, 56, Number(tail.readBigUInt64LE(eocd - 20 + 8)));
    if (z64.readUInt32LE(0) !== 0x06064b50) bad('damaged zip64 directory');
    count = Number(z64.readBigUInt64LE(32));
    dirSize = Number(z64.readBigUInt64LE(40));
    dirOffset = Number(z64.readBigUInt64LE(48));
  }
  if (dirOffset + dirSize > fileSize) bad('the directory points past the end of the file');
  const dir = Buffer.alloc(dirSize);
  readSync(fd, dir, 0, dirSize, dirOffset);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dirSize || dir.readUInt32LE(p) !== 0x02014b50) bad('damaged central directory');
    const flags = dir.readUInt16LE(p + 8);
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let compressedSize = dir.readUInt32LE(p + 20);
    let size = dir.readUInt32LE(p + 24);
    let localOffset = dir.readUInt32LE(p + 42);
    const name = dir.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64: the sizes and offset that did not fit in 32 bits follow in extra field 0x0001, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = dir.readUInt16LE(e);
      const len = dir.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          const v = Number(dir.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + len;
    }
    entries.push({ name, method: dir.readUInt16LE(p + 10), compressedSize, size, localOffset, encrypted: (flags & 1) === 1 });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

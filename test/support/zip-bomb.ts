import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface BombEntry {
  name: string;
  /** Raw bytes (small entries, deflated here) … */
  data?: Uint8Array;
  /** … or a run of this many zero bytes, deflated without ever holding them (a multiple of 16 MB). */
  zeros?: number;
  /** What the archive claims the entry unpacks to (a bomb may lie); default: the truth. */
  declaredSize?: number;
}

const PIECE = 16 * 2 ** 20;
let pieceCache: { deflated: Buffer; crc: number } | undefined;

/** 16 MB of zeros deflated as a self-contained (full-flush) run of blocks: repeat it to describe N × 16 MB. */
function zeroPiece(): { deflated: Buffer; crc: number } {
  pieceCache ??= { deflated: deflateRawSync(Buffer.alloc(PIECE), { level: 9, finishFlush: constants.Z_FULL_FLUSH }), crc: 0 };
  return pieceCache;
}

const crcs = new Map<number, number>();
function zeroCrc(reps: number): number {
  let crc = crcs.get(reps);
  if (crc === undefined) {
    crc = 0;
    const zero = Buffer.alloc(PIECE);
    for (let i = 0; i < reps; i++) crc = crc32(zero, crc);
    crcs.set(reps, crc);
  }
  return crc;
}

/**
 * A zip written byte by byte (local headers, central directory, end record), so a test can make a bomb of
 * gigabytes that is a few MB on disk, with honest or lying sizes. Entries of zeros share one deflated piece.
 */
export function makeZip(entries: readonly BombEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    let body: Buffer;
    let size: number;
    let crc: number;
    if (e.zeros !== undefined) {
      const reps = Math.ceil(e.zeros / PIECE);
      const piece = zeroPiece().deflated;
      body = Buffer.concat([...Array.from({ length: reps }, () => piece), Buffer.from([0x03, 0x00])]);
      size = reps * PIECE;
      crc = zeroCrc(reps);
    } else {
      const data = Buffer.from(e.data ?? new Uint8Array());
      body = deflateRawSync(data);
      size = data.length;
      crc = crc32(data);
    }
    const declared = e.declaredSize ?? size;
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc >>> 0, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(declared, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}

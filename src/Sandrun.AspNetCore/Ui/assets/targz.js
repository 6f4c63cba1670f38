// Packs files into a POSIX (ustar + pax) tar and gzips it with the browser's CompressionStream: a real tar.gz, so
// binary files arrive byte for byte and the server's archive intake (not a second upload format) handles them.
// Hand-written because a tar writer is ~60 lines and the UI must load nothing from elsewhere.

const encoder = new TextEncoder();

function octal(value, length) {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

function put(header, offset, length, text) {
  header.set(encoder.encode(text).subarray(0, length), offset);
}

function header(name, size, type, mtime) {
  const block = new Uint8Array(512);
  put(block, 0, 100, name);
  put(block, 100, 8, octal(type === '5' ? 0o755 : 0o644, 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  put(block, 124, 12, octal(size, 12));
  put(block, 136, 12, octal(mtime, 12));
  block.fill(0x20, 148, 156);
  put(block, 156, 1, type);
  put(block, 257, 6, 'ustar\0');
  put(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  put(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

// A pax record "LEN path=NAME\n", where LEN counts its own digits.
function paxRecord(key, value) {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (String(length).length + bodyLength > length) length++;
  return encoder.encode(`${length}${body}`);
}

function padding(size) {
  return new Uint8Array((512 - (size % 512)) % 512);
}

/** entries: [{ name, data: Blob|Uint8Array }] (relative paths with '/'). Resolves to a gzip Blob. */
export async function tarGz(entries) {
  const parts = [];
  const mtime = Math.floor(Date.now() / 1000);
  for (const entry of entries) {
    const data = entry.data instanceof Blob ? entry.data : new Blob([entry.data]);
    const nameBytes = encoder.encode(entry.name);
    if (nameBytes.length > 99) {
      const record = paxRecord('path', entry.name);
      parts.push(header('././@PaxHeader', record.length, 'x', mtime), record, padding(record.length));
    }

    parts.push(header(nameBytes.length > 99 ? entry.name.slice(-90) : entry.name, data.size, '0', mtime), data, padding(data.size));
  }

  parts.push(new Uint8Array(1024));
  const gzip = new Blob(parts).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(gzip).blob();
}

/**
 * mailauth 4.13.3's `MessageParser.processChunk` (lib/dkim/message-parser.js, the base of its DKIM verifier and
 * signer) looks for the blank line that ends the header section one byte at a time, pushing each byte onto an array
 * and copying its last four entries: an allocation per header byte, about a fifth of a whole `authenticate` for a
 * small message. This is the same method with the last two bytes kept in variables; what it passes on (the header
 * chunks, `parseHeaders`, `messageHeaders`, `nextChunk` with the rest) is unchanged.
 */

type ParserState = {
  state: 'header' | 'body';
  stateBytes: number[];
  headerChunks: Buffer[];
  headers: unknown;
  messageHeaders(headers: unknown): Promise<void>;
  nextChunk(chunk: Buffer): Promise<void>;
};

const LF = 0x0a;
const CR = 0x0d;

/** The replacement `processChunk`, given mailauth's `parseHeaders`. */
export const headerEndScan = (parseHeaders: (buf: Buffer) => unknown) =>
  async function processChunk(this: ParserState, input: Buffer | undefined): Promise<void> {
    if (!input || !input.length) return;
    let chunk = input;
    if (this.state === 'header') {
      // the bytes before this chunk: an LF ends the header section after LF or CRLF following an LF
      let b1 = this.stateBytes[this.stateBytes.length - 1] ?? -1;
      let b2 = this.stateBytes[this.stateBytes.length - 2] ?? -1;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i] as number;
        if (c === LF && (b1 === LF || (b1 === CR && b2 === LF))) {
          this.state = 'body';
          this.headerChunks.push(chunk.subarray(0, i + 1));
          this.headers = parseHeaders(Buffer.concat(this.headerChunks));
          await this.messageHeaders(this.headers);
          if (i === chunk.length - 1) return; // the header section ended with this chunk: no body bytes in it
          chunk = chunk.subarray(i + 1);
          break;
        }
        b2 = b1;
        b1 = c;
      }
      if (this.state === 'header') this.stateBytes = b2 < 0 ? (b1 < 0 ? [] : [b1]) : [b2, b1];
    }
    if (this.state !== 'body') {
      this.headerChunks.push(chunk);
      return;
    }
    await this.nextChunk(chunk);
  };

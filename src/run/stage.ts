/** A message-level stage between client and server (the MCP gate). Both sides carry raw bytes. */
export interface MessageStage {
  /** Written with the client's bytes; what it emits goes to the server's stdin. Its end() means client EOF. */
  toServer: import('node:stream').Duplex;
  /** Written with the server's stdout bytes; what it emits goes to the client's stdout. */
  toClient: import('node:stream').Duplex;
  /** Called once when the session has ended (flush logs); never throws. */
  close(): Promise<void>;
}

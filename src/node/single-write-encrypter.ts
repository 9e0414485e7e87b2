/**
 * One socket write per encrypted message. @chainsafe/libp2p-noise hands the transport each
 * message as two buffers, its 2-byte length and the ciphertext, and @libp2p/tcp writes each
 * buffer of a list with its own socket.write: with Nagle off, two syscalls and two TCP segments
 * per message. Joined first, a message costs one (a copy of a few KiB costs far less than a
 * syscall on loopback).
 */
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface';

/** Makes `connection.send` join a list of buffers into one before sending it. */
export function joinWrites(connection: MessageStream): MessageStream {
  const send = connection.send.bind(connection);
  connection.send = (data: Parameters<MessageStream['send']>[0]): boolean =>
    send(data instanceof Uint8Array ? data : data.subarray());
  return connection;
}

/** `noise()` (or any connection encrypter factory) whose transport connections write each message once. */
export function withJoinedWrites<C, E>(make: (components: C) => ConnectionEncrypter<E>): (components: C) => ConnectionEncrypter<E> {
  return (components) => {
    const encrypter = make(components);
    return {
      protocol: encrypter.protocol,
      secureInbound: (connection, options) => encrypter.secureInbound(joinWrites(connection), options),
      secureOutbound: (connection, options) => encrypter.secureOutbound(joinWrites(connection), options),
    };
  };
}

import { InputError } from './errors';

/** The one address every server and client in deflate-lab uses: traffic never leaves loopback. */
export const LOOPBACK = '127.0.0.1';

/** Thrown when a fixed port cannot be bound (a stack's server, Jupyter); the message says how to pick another. */
export class PortInUseError extends InputError {}

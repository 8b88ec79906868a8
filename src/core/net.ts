/** The one address every server and client in deflate-lab uses: traffic never leaves loopback. */
export const LOOPBACK = '127.0.0.1';

/**
 * Error bases. Every error class of the project extends one of these, so its `name` is its class's
 * name (in stack traces and notebook output) and it can carry a `cause` (ES2022 ErrorOptions).
 */

/** An Error named after its class, taking `{ cause }`. For errors that are not the user's to fix. */
export class NamedError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    // Not enumerable, like Error.prototype.name: the error prints and serialises as before, bar its name.
    Object.defineProperty(this, 'name', {
      value: new.target.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

/**
 * Bad user input or a refused precondition: the message is one line that says what to change. The
 * command-line tools print it alone and exit 2 (src/cli/args.ts, inputErrorLine).
 */
export class InputError extends NamedError {}

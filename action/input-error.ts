/**
 * An input the step cannot work with. The message names the input, quotes
 * the value and says what was expected, so the step's error annotation is
 * enough to fix the workflow.
 */
export class InputError extends Error {
  /**
   * What is at fault: an input as written in the workflow, a runner
   * variable such as GITHUB_SHA, or `message` for the message as a whole.
   */
  readonly input: string;

  constructor(input: string, message: string, options?: ErrorOptions) {
    super(`${input}: ${message}`, options);
    this.name = "InputError";
    this.input = input;
  }
}

import { quote } from "../protocol/parse.js";

/**
 * A setting the relay cannot start with. The message names the setting, the
 * value it had (never for secrets) and what was expected.
 */
export class ConfigError extends Error {
  readonly setting: string;

  constructor(setting: string, value: unknown, expected: string) {
    super(`${setting} ${quote(value)} is not valid: expected ${expected}`);
    this.name = "ConfigError";
    this.setting = setting;
  }
}

/** A required setting that is not set. */
export class MissingSettingError extends ConfigError {
  constructor(setting: string, expected: string) {
    super(setting, undefined, expected);
    this.message = `${setting} is not set: expected ${expected}`;
  }
}

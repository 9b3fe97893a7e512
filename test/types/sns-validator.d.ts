/** AWS's SNS message validator (npm sns-validator), which ships no types. */
declare module "sns-validator" {
  export default class MessageValidator {
    constructor(hostPattern?: RegExp, encoding?: string);
    validate(message: string | object, cb: (err: Error | null, message?: object) => void): void;
  }
}

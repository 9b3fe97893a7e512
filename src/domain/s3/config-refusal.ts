/**
 * A bucket configuration (notification, lifecycle) S3 would refuse: its S3 error code, message
 * and the extra members of the `<Error>` document (ArgumentName, ArgumentValue, …). The domain
 * decides; the protocol layer turns it into an S3 error (always a 400).
 */
export class ConfigRefusal extends Error {
  constructor(
    readonly code: "InvalidArgument" | "MalformedXML" | "InvalidRequest" | "NotImplemented",
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema";

export function malformed(): ConfigRefusal {
  return new ConfigRefusal("MalformedXML", MALFORMED_XML);
}

export function invalidArgument(message: string, name?: string, value?: string): ConfigRefusal {
  return new ConfigRefusal("InvalidArgument", message, name !== undefined ? { ArgumentName: name, ArgumentValue: value ?? "" } : {});
}

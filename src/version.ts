/** The release, as package.json says (headwater --version, GET /health). */
export const VERSION = "0.1.0";

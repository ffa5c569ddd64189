// Validates AsyncAPI 3.0 documents against the specification's JSON Schema (from
// @asyncapi/specs): node validate-asyncapi.mjs file.json... Prints every violation and
// exits with 1 when there is one.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import specs from "@asyncapi/specs";

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, meta: false, validateSchema: false });
addFormats(ajv);
const validate = ajv.compile(specs.schemas["3.0.0"]);
let failed = false;
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  if (!validate(doc)) {
    failed = true;
    for (const e of validate.errors) {
      console.log(`${file}: ${e.instancePath || "/"}: ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}
process.exit(failed ? 1 : 0);

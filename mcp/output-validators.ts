import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';

/**
 * The MCP client's check of tool results against the output schemas `tools/list` gives, compiled when a tool's first
 * result is checked, not when the list arrives, and kept by the schema's text across lists. The SDK's `Client`
 * compiles every tool's output schema with Ajv on each `listTools`: at 1M events that was 26–28 ms of a
 * `tools/list` the server answers in under 1 ms (issue #14, `test/mcp/measure.mts`). Results are checked exactly as
 * before: the same Ajv provider, the same schemas.
 */
export class LazyOutputValidators implements jsonSchemaValidator {
  private readonly compiled = new Map<string, JsonSchemaValidator<unknown>>();

  constructor(private readonly provider: jsonSchemaValidator = new AjvJsonSchemaValidator()) {}

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    let check: JsonSchemaValidator<T> | undefined;
    return (input) => (check ??= this.compile<T>(schema))(input);
  }

  private compile<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const key = JSON.stringify(schema);
    let check = this.compiled.get(key);
    if (!check) this.compiled.set(key, (check = this.provider.getValidator<unknown>(schema)));
    return check as JsonSchemaValidator<T>;
  }
}

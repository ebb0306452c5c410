// What the OpenAPI document needs beyond the validation schemas: Ajv refuses
// a discriminator `mapping`, but generators (openapi-typescript and others)
// need one to type the tag as its wire values ("message") rather than the
// schema names ("MessageEvent"). The mappings are derived from each branch's
// `const` tag, so they cannot drift from the schemas.
type Schema = Record<string, unknown>;

function schemaName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

export function addDiscriminatorMappings(document: { components?: { schemas?: Record<string, Schema> } }): void {
  const schemas = document.components?.schemas ?? {};
  for (const schema of Object.values(schemas)) {
    const discriminator = schema.discriminator as
      | { propertyName: string; mapping?: Record<string, string> }
      | undefined;
    if (discriminator === undefined || !Array.isArray(schema.oneOf)) continue;
    const mapping: Record<string, string> = {};
    for (const branch of schema.oneOf as Schema[]) {
      const ref = branch.$ref;
      if (typeof ref !== 'string') throw new Error(`a discriminated branch must be a $ref: ${JSON.stringify(branch)}`);
      const target = schemas[schemaName(ref)];
      // @fastify/swagger writes a `const` as a one-value `enum`.
      const property = (target?.properties as Record<string, Schema> | undefined)?.[discriminator.propertyName];
      const tag = property?.const ?? (Array.isArray(property?.enum) ? property.enum[0] : undefined);
      if (typeof tag !== 'string') throw new Error(`${ref} has no const ${discriminator.propertyName}`);
      mapping[tag] = ref;
    }
    discriminator.mapping = mapping;
  }
}

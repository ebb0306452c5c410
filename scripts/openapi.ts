// Writes openapi/openapi.json from the broker's route schemas (npm run openapi).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatOpenApi, generateOpenApi } from '../server/openapi.ts';

const target = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));
writeFileSync(target, formatOpenApi(await generateOpenApi()));
console.log(`wrote ${target}`);

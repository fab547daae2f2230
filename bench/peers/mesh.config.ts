// GraphQL Mesh compose config for bench/peers: one OpenAPI source per sandbox TMF carrier.
//
// bench/peers/run.py writes the sources file (PEERS_MESH_SOURCES: a JSON list of
// {name, prefix, source, endpoint, headers}) with the trimmed OpenAPI document of each
// carrier (bench/peers/openapi.py), then runs `mesh-compose -o supergraph.graphql` here.
// Each source's types and root fields are prefixed with the carrier's prefix, so the
// eight carriers' identical TMF APIs live side by side in one supergraph.
import { readFileSync } from 'node:fs';
import { createPrefixTransform, defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

interface Source {
  name: string;
  prefix: string;
  source: string;
  endpoint: string;
  headers: Record<string, string>;
}

const sourcesFile = process.env.PEERS_MESH_SOURCES;
if (!sourcesFile) {
  throw new Error('PEERS_MESH_SOURCES must name the sources file bench/peers/run.py writes');
}
const sources: Source[] = JSON.parse(readFileSync(sourcesFile, 'utf-8'));

export const composeConfig = defineConfig({
  subgraphs: sources.map((s) => ({
    sourceHandler: loadOpenAPISubgraph(s.name, {
      source: s.source,
      endpoint: s.endpoint,
      operationHeaders: s.headers,
    }),
    transforms: [createPrefixTransform({ value: s.prefix, includeRootOperations: true })],
  })),
});

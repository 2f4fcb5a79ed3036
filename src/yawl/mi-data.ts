import type { Document } from 'slimdom';
import type { JsonValue } from '../receipts/canonical-json.js';
import {
  type Content,
  contentDocument,
  documentOf,
  elementToJson,
  groupedDocument,
  jsonToContent,
  mappedContent,
  queryElements,
} from './case-data.js';
import type { TaskDefinition } from './definition.js';

type MI = NonNullable<TaskDefinition['mi']>;

/**
 * YAWL's MI split (`splitStartingDataForMultiInstances`): `input.query` over the case data gives the
 * element to split; `input.splitting` over a document of that element gives one element per
 * instance. Each becomes its instance's input as JSON.
 * @throws Error when the query gives no element, or the count is outside `minimum`…`maximum`
 */
export function splitMI(mi: MI, caseDocument: Document): JsonValue[] {
  const { query, splitting } = mi.input!;
  const [toSplit] = queryElements(query, caseDocument);
  if (!toSplit) throw new Error(`its MI input query gives no element to split: ${query.slice(0, 80)}`);
  const items = queryElements(splitting, documentOf(toSplit));
  if (items.length < mi.minimum || items.length > mi.maximum) {
    const [bound, limit] = items.length < mi.minimum ? ['minimum', mi.minimum] : ['maximum', mi.maximum];
    throw new Error(`its MI split gives ${items.length} instances, outside its ${bound} of ${limit}`);
  }
  return items.map(elementToJson);
}

/**
 * YAWL's MI aggregation: each completed instance's value as `<root>…</root>` (its output data)
 * gives one element through `output.query`; grouped under `<root>`, `output.joining` makes the
 * element whose content becomes the net variable.
 * @throws Error when the completion data has no `values`, or an instance's output has no element
 * for the query (YAWL: "the result of the output query is null")
 */
export function aggregateMI(output: NonNullable<MI['output']>, data: JsonValue): Content {
  const values = (data as { values?: unknown } | null)?.values;
  if (!Array.isArray(values)) throw new Error('an MI task completes with { values }');
  const elements = (values as JsonValue[]).map((value, n) => {
    const [element] = queryElements(output.query, contentDocument(output.root, jsonToContent(value)));
    if (!element) throw new Error(`value ${n} has no element for ${output.query.slice(0, 80)}`);
    return element;
  });
  return mappedContent(output.joining, groupedDocument(output.root, elements));
}

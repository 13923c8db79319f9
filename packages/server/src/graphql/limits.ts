// Query limits (API.md §13), checked on the parsed document before graphql-js validates it
// (some validation rules are quadratic in the number of fields, so a 10,000-field query must
// be refused first): depth counted through fragments, the number of distinct fields on one
// level, and a complexity where list fields multiply their children. Fragment cycles are cut
// here (validation then reports them); introspection fields (`__schema`, `__type`) are not
// counted, since `graphql.introspection` governs them.
import {
  getNamedType, GraphQLObjectType, isListType, isNonNullType, Kind,
  type DocumentNode, type FragmentDefinitionNode, type GraphQLOutputType, type GraphQLSchema, type SelectionSetNode, type ValueNode,
} from 'graphql';

export interface GraphqlLimits {
  maxDepth: number;
  maxComplexity: number;
  maxFieldsPerLevel: number;
}

export type LimitViolation = { code: 'GRAPHQL_DEPTH_LIMIT' | 'GRAPHQL_COMPLEXITY_LIMIT' | 'GRAPHQL_FIELDS_LIMIT'; message: string };

/** A list field without a literal `limit` counts as this many rows. */
const DEFAULT_LIST_SIZE = 10;

function isList(type: GraphQLOutputType): boolean {
  const t = isNonNullType(type) ? type.ofType : type;
  return isListType(t);
}

function literalLimit(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  limits: GraphqlLimits;
  violation?: LimitViolation;
  /** Selections visited: fragments spread twice per level grow exponentially even when they select nothing that costs. */
  steps: number;
}

const MAX_STEPS = 100_000;

/** Complexity of a selection set on `type`; also checks depth and fields per level. */
function measure(w: Walk, set: SelectionSetNode, type: GraphQLObjectType | undefined, depth: number, stack: string[]): number {
  if (w.violation) return 0;
  if (depth > w.limits.maxDepth) {
    w.violation = { code: 'GRAPHQL_DEPTH_LIMIT', message: `The query is nested more than ${w.limits.maxDepth} levels deep (graphql.max_depth), counting through fragments` };
    return 0;
  }
  const keys = new Set<string>();
  let cost = 0;
  const visit = (s: SelectionSetNode, fragStack: string[]) => {
    for (const sel of s.selections) {
      if (w.violation) return;
      if (++w.steps > MAX_STEPS) {
        w.violation = { code: 'GRAPHQL_COMPLEXITY_LIMIT', message: `The query expands to more than ${MAX_STEPS} selections through its fragments (graphql.max_complexity)` };
        return;
      }
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) continue;
        keys.add(sel.alias?.value ?? name);
        if (keys.size > w.limits.maxFieldsPerLevel) {
          w.violation = { code: 'GRAPHQL_FIELDS_LIMIT', message: `More than ${w.limits.maxFieldsPerLevel} fields on one level (graphql.max_fields_per_level)` };
          return;
        }
        const def = type?.getFields()[name];
        const childType = def ? getNamedType(def.type) : undefined;
        let child = 0;
        if (sel.selectionSet) child = measure(w, sel.selectionSet, childType instanceof GraphQLObjectType ? childType : undefined, depth + 1, fragStack);
        if (def && isList(def.type)) {
          const limit = literalLimit(sel.arguments?.find((a) => a.name.value === 'limit')?.value, w.variables);
          const rows = limit !== undefined && limit >= 0 ? Math.max(1, limit) : DEFAULT_LIST_SIZE;
          cost += 1 + rows * Math.max(child, 1);
        } else {
          cost += 1 + child;
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        visit(sel.selectionSet, fragStack);
      } else {
        const name = sel.name.value;
        const fragment = w.fragments.get(name);
        if (!fragment || fragStack.includes(name)) continue;
        visit(fragment.selectionSet, [...fragStack, name]);
      }
      if (cost > w.limits.maxComplexity && !w.violation) {
        w.violation = { code: 'GRAPHQL_COMPLEXITY_LIMIT', message: `The query's complexity exceeds ${w.limits.maxComplexity} (graphql.max_complexity): ask for fewer fields or smaller lists (limit)` };
        return;
      }
    }
  };
  visit(set, stack);
  return cost;
}

/** The first limit the operation breaks, or undefined. Depth: `{ posts { id } }` is 2. */
export function checkLimits(schema: GraphQLSchema, document: DocumentNode, limits: GraphqlLimits, variables: Record<string, unknown> = {}, operationName?: string): LimitViolation | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName && def.name?.value !== operationName) continue;
    const root = def.operation === 'query' ? schema.getQueryType() : def.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    const w: Walk = { fragments, variables, limits, steps: 0 };
    measure(w, def.selectionSet, root ?? undefined, 1, []);
    if (w.violation) return w.violation;
  }
  return undefined;
}

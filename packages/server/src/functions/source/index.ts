// Function sources on disk (docs/functions.md): `// @fluxbase:` annotations and the
// layout of a functions folder, read into Deploy fields and entry code. Owns reading only:
// it never bundles, talks to a server or touches the database; the CLI and the service
// decide what to deploy.
export { parseAnnotations, JOB_ONLY_FIELDS, type AnnotationField, type AnnotationFields, type ParsedAnnotations } from './annotations.ts';
export {
  FUNCTION_NAME, FUNCTION_NAME_RULE, hasRelativeImport, loadFunctionFile, loadFunctionsFolder,
  type FolderFunction, type FolderProblem, type LoadedFolder,
} from './folder.ts';

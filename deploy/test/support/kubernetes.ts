import path from 'node:path';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';

/** A manifest as rendered: an object with apiVersion, kind and metadata. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

/**
 * The kinds TOA deploys, each with its model from kubernetes-models (generated
 * from the OpenAPI document of a current Kubernetes release) and the module
 * and interface that type it.
 */
const KINDS = {
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'apps/v1/StatefulSet': { model: StatefulSet, module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'networking.k8s.io/v1/Ingress': { model: Ingress, module: 'kubernetes-models/networking.k8s.io/v1/Ingress', type: 'IIngress' },
} as const;

function kindOf(manifest: Manifest): (typeof KINDS)[keyof typeof KINDS] | undefined {
  return KINDS[`${manifest.apiVersion}/${manifest.kind}` as keyof typeof KINDS];
}

/**
 * What the API's JSON schema says is wrong with each manifest (types,
 * required fields, enums, formats), as `<kind>/<name><path>: <message>`;
 * a kind TOA does not deploy is a problem too.
 */
export function schemaProblems(manifests: Manifest[]): string[] {
  return manifests.flatMap((manifest) => {
    const where = `${manifest.kind}/${manifest.metadata?.name}`;
    const kind = kindOf(manifest);
    if (!kind) return [`${where}: ${manifest.apiVersion} ${manifest.kind} is not a kind TOA deploys`];
    try {
      new kind.model(manifest as never).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
      return errors ? errors.map((e) => `${where}${e.instancePath}: ${e.message}`) : [`${where}: ${(error as Error).message}`];
    }
  });
}

/**
 * Fields the API does not know (a misspelt `readinesProbe` would otherwise
 * be dropped by the API server in silence, and the JSON schemas allow them):
 * each manifest is type-checked as an object literal of its kind's interface,
 * so TypeScript's excess-property check finds them at every depth. Also finds
 * a value of the wrong type. Returns the compiler's messages.
 */
export function unknownFields(manifests: Manifest[]): string[] {
  const file = path.join(import.meta.dirname, '__manifests__.ts');
  const lines = manifests.map((manifest, i) => {
    const kind = kindOf(manifest);
    if (!kind) throw new Error(`${manifest.apiVersion} ${manifest.kind} is not a kind TOA deploys`);
    return `import type { ${kind.type} as T${i} } from '${kind.module}';\nexport const m${i}: T${i} = ${JSON.stringify(manifest)};`;
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : readFile(name));
  host.fileExists = (
    (exists) => (name: string) =>
      path.resolve(name) === file || exists(name)
  )(host.fileExists.bind(host));
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const manifest = manifests[Math.floor(line / 2)];
    return `${manifest?.kind}/${manifest?.metadata.name}: ${message}`;
  });
}

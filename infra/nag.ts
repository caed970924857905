/**
 * cdk-nag (AwsSolutions, v3 API) on the whole app. Findings that stay are acknowledged in the
 * construct that causes them, each with its reason (`acknowledge`); anything else fails
 * `cdk synth`. docs/deploy.md lists the acknowledgements.
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export function addNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** Acknowledges one cdk-nag finding (`AwsSolutions-IAM5[Resource::…]` or a whole rule, `AwsSolutions-L1`) on a construct. */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * The form cdk-nag gives a resource or action in a finding id: the resolved value, with
 * `{ Ref: X }` written `<X>` and `Fn::GetAtt` written `<Resource.Attribute>`.
 */
export function nagValue(scope: IConstruct, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['Ref'] === 'string') return `<${o['Ref']}>`;
      if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
      const join = o['Fn::Join'];
      if (Array.isArray(join)) return (join[1] as unknown[]).map(render).join(join[0] as string);
    }
    return JSON.stringify(v);
  };
  return render(Stack.of(scope).resolve(value));
}

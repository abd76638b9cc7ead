"use client";

import { Alert, Button, Grid, Group, List, Loader, Paper, Stack, Stepper, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { launchInstanceInput } from "@nimbus/core/validation";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useSession } from "@/components/session/session-context";
import type { Flavor } from "@/lib/api-types";
import { newIdempotencyKey } from "@/lib/idempotency-key";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError, type FormError } from "@/lib/trpc-error";
import { DetailsStep, detailsPayload } from "./details-step";
import { FlavorStep, flavorPayload, flavorUnavailable } from "./flavor-step";
import { loadLaunchDraft, saveLaunchDraft, type LaunchWizardValues } from "./launch-draft";
import { countQuotaError, flavorQuotaBlocker, launchImpact } from "./launch-impact";
import { LaunchQuotaPanel } from "./launch-quota-panel";
import { canLaunchFrom, initialLaunchValues, inputFieldsOf, LAUNCH_STEPS, stepOfField, type StepKey } from "./launch-steps";
import { NetworksStep, networkPayload } from "./networks-step";
import { PlacementStep, placementPayload } from "./placement-step";
import { SourceStep, sourcePayload } from "./source-step";
import { ConfigurationStep, configurationPayload } from "./configuration-step";
import { KeyPairStep } from "./key-pair-step";
import { SecurityGroupsStep } from "./security-groups-step";
import { VolumesStep } from "./volumes-step";
import { hasErrors, type StepErrors } from "./step-validation";

type ErrorsByStep = Record<StepKey, StepErrors>;
const noErrors = (): ErrorsByStep => ({
  details: {},
  source: {},
  flavor: {},
  network: {},
  security: {},
  keyPair: {},
  configuration: {},
  volumes: {},
  placement: {},
});
const NO_ERRORS: ErrorsByStep = noErrors();

function toPayload(values: LaunchWizardValues) {
  return {
    ...detailsPayload(values.details),
    ...sourcePayload(values.source),
    ...flavorPayload(values.flavor),
    ...networkPayload(values.network),
    securityGroupIds: values.security.securityGroupIds,
    keyName: values.keyPair.keyName,
    ...configurationPayload(values.configuration),
    volumes: values.volumes.volumes,
    ...placementPayload(values.placement),
  };
}

/** Server field errors as messages per step, for the fields each step owns. */
function serverErrorsByStep(error: FormError | null): ErrorsByStep {
  const byStep: ErrorsByStep = noErrors();
  for (const [field, messages] of Object.entries(error?.fieldErrors ?? {})) {
    const step = LAUNCH_STEPS[stepOfField(field)];
    if (step && messages[0]) byStep[step.key][field] = messages[0];
  }
  return byStep;
}

/**
 * The launch wizard: Details → Source → Flavor → Networks → Security groups → Key pair →
 * Configuration → Volumes → Placement, each step checked with its own schema on Next; the launch
 * itself is checked again by the server, whose field errors reopen the step that owns the field.
 * Values survive a failed launch. The steps after Networks are optional, so the launch can be
 * submitted from Networks already (as Horizon allows once the required steps are done).
 * Each launch carries an idempotency key that changes with the values, so a double click or a
 * retry after a lost answer creates nothing twice. Flavors the quota cannot take are not offered.
 */
export function LaunchWizard({ retryOf }: { retryOf: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const images = useQuery(trpc.catalog.images.queryOptions());
  const flavors = useQuery(trpc.catalog.flavors.queryOptions());
  const networks = useQuery(trpc.catalog.networks.queryOptions());
  const usage = useQuery(trpc.quota.usage.queryOptions());
  const zones = useQuery(trpc.catalog.availabilityZones.queryOptions());
  const serverGroups = useQuery(trpc.serverGroups.list.queryOptions());
  const volumes = useQuery(trpc.volumes.list.queryOptions());
  // Which flavors no enabled, up host could take now (a hint: hosts come and go, so it does not refuse).
  const availability = useQuery(trpc.catalog.flavorAvailability.queryOptions({}));
  const principal = useSession();
  // Instances of the project come and go while the wizard is open: the quota figures follow.
  useSocketEvent("instance.changed", () => {
    void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.flavorAvailability.queryKey() });
  });

  const [values, setValues] = useState<LaunchWizardValues>(
    () => (retryOf && typeof window !== "undefined" ? loadLaunchDraft(retryOf) : null) ?? initialLaunchValues,
  );
  const [active, setActive] = useState(0);
  const [clientErrors, setClientErrors] = useState<ErrorsByStep>(NO_ERRORS);
  const [serverError, setServerError] = useState<FormError | null>(null);
  // One key per set of values: a double click or a retry of the same launch is recognised by the
  // server and creates nothing twice; a change of any value makes it a different launch.
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);
  const serverErrors = useMemo(() => serverErrorsByStep(serverError), [serverError]);

  // With exactly one image or network there is nothing to choose: pre-select it.
  const onlyImage = images.data?.length === 1 ? images.data[0] : undefined;
  const onlyNetwork = networks.data?.length === 1 ? networks.data[0] : undefined;
  useEffect(() => {
    if (onlyImage) setValues((v) => (v.source.imageId ? v : { ...v, source: { ...v.source, imageId: onlyImage.id } }));
  }, [onlyImage]);
  useEffect(() => {
    if (onlyNetwork) setValues((v) => (v.network.networkId ? v : { ...v, network: { networkId: onlyNetwork.id } }));
  }, [onlyNetwork]);

  // A blank or 0 count launches nothing: the quota panel adds nothing for it.
  const count = typeof values.details.count === "number" && values.details.count > 0 ? values.details.count : 0;
  const flavor = flavors.data?.find((f) => f.id === values.flavor.flavorId);
  const image = images.data?.find((i) => i.id === values.source.imageId);
  const impacts = usage.data ? launchImpact(usage.data, flavor, count) : null;
  const quotaBlockerOf = (f: Flavor) => (usage.data ? flavorQuotaBlocker(usage.data, f, Math.max(count, 1)) : null);
  const noHostReasonOf = (f: Flavor) => {
    const verdict = availability.data?.find((a) => a.flavorId === f.id);
    return verdict && !verdict.available ? verdict.reason : null;
  };

  const launch = useMutation(
    trpc.instances.launch.mutationOptions({
      onSuccess: ({ instanceIds }) => {
        saveLaunchDraft(instanceIds, values);
        void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
        if (values.placement.serverGroupId) void queryClient.invalidateQueries({ queryKey: trpc.serverGroups.list.queryKey() });
        const first = instanceIds[0];
        router.push(first ? `/project/instances/${first}` : "/project/instances");
      },
      onError: (error) => {
        const formError = toFormError(error);
        setServerError(formError);
        // Quota changes under our feet; show the figures the server used.
        void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
        const steps = Object.keys(formError.fieldErrors)
          .map(stepOfField)
          .filter((i) => i >= 0);
        if (steps.length > 0) goTo(Math.min(...steps));
      },
    }),
  );

  /** Replaces one step's values and forgets the errors of the fields that changed. */
  function update<K extends StepKey>(key: K, next: LaunchWizardValues[K]) {
    const previous = values[key] as unknown as Record<string, unknown>;
    const changed = Object.keys(next)
      .filter((f) => (next as unknown as Record<string, unknown>)[f] !== previous[f])
      .flatMap((f) => inputFieldsOf(key, f));
    setValues((v) => ({ ...v, [key]: next }));
    if (changed.length > 0) setIdempotencyKey(newIdempotencyKey());
    const forget = (errors: StepErrors) => Object.fromEntries(Object.entries(errors).filter(([f]) => !changed.includes(f)));
    setClientErrors((e) => ({ ...e, [key]: forget(e[key]) }));
    if (serverError && changed.some((f) => f in serverError.fieldErrors)) {
      setServerError({
        ...serverError,
        fieldErrors: Object.fromEntries(Object.entries(serverError.fieldErrors).filter(([f]) => !changed.includes(f))),
      });
    }
  }

  /** Checks step `index`; shows its errors and says whether it passed. */
  function check(index: number): boolean {
    const step = LAUNCH_STEPS[index];
    if (!step) return true;
    const errors = {
      ...step.validate(values),
      ...(step.key === "flavor" ? unavailableFlavorError() : {}),
      ...(step.key === "details" ? countOverQuotaError() : {}),
    };
    setClientErrors((e) => ({ ...e, [step.key]: errors }));
    return !hasErrors(errors);
  }

  /** The chosen flavor cannot be launched any more (the count grew, the quota shrank): say why on the Flavor step. */
  function unavailableFlavorError(): StepErrors {
    if (!flavor) return {};
    const reason = flavorUnavailable(flavor, image, quotaBlockerOf);
    return reason ? { flavorId: `${flavor.name} cannot be launched: ${reason}` } : {};
  }

  /** A count the instance quota cannot take is refused at the Count field, not a step later on every flavor. */
  function countOverQuotaError(): StepErrors {
    const { count: asked, minCount } = values.details;
    if (!usage.data || typeof asked !== "number") return {};
    const error = countQuotaError(usage.data, asked, typeof minCount === "number" ? minCount : null);
    return error ? { [error.field]: error.message } : {};
  }

  // After Next or Back, focus goes to the new step's heading, so keyboard and screen reader users start at its top.
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the effect runs because the step changed; `active` is its trigger.
  useEffect(() => {
    if (moved.current) stepHeading.current?.focus();
  }, [active]);
  function goTo(index: number) {
    moved.current = true;
    setActive(index);
  }

  function next() {
    if (check(active)) goTo(Math.min(active + 1, LAUNCH_STEPS.length - 1));
  }

  /** Enter in a field: on to the next step, or the launch itself on the last one. */
  function onFormSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (active === LAUNCH_STEPS.length - 1) submit();
    else next();
  }

  function submit() {
    setServerError(null);
    const failing = LAUNCH_STEPS.findIndex((_, i) => !check(i));
    if (failing >= 0) {
      goTo(failing);
      return;
    }
    const parsed = launchInstanceInput.safeParse({ ...toPayload(values), idempotencyKey });
    if (!parsed.success) return; // every step passed, so this does not happen
    launch.mutate(parsed.data);
  }

  const loadError = [images, flavors, networks, zones, serverGroups, volumes].find((q) => q.isError)?.error;
  if (loadError) {
    return (
      <Alert color="red" title="Could not load the catalog">
        {toFormError(loadError).message}
      </Alert>
    );
  }
  if (!images.data || !flavors.data || !networks.data || !zones.data || !serverGroups.data || !volumes.data)
    return <Loader aria-label="Loading the catalog" />;

  const errorsOf = (key: StepKey): StepErrors => ({ ...serverErrors[key], ...clientErrors[key] });
  const isLast = active === LAUNCH_STEPS.length - 1;
  const canLaunch = canLaunchFrom(active);
  const unplacedFieldErrors = Object.entries(serverError?.fieldErrors ?? {}).filter(([field]) => stepOfField(field) < 0);

  return (
    <Grid gap="lg">
      <Grid.Col span={{ base: 12, md: 8 }}>
        <Paper withBorder p="lg" component="form" onSubmit={onFormSubmit} noValidate aria-label="Launch instance">
          <Stack gap="lg">
            <Stepper active={active} onStepClick={goTo} allowNextStepsSelect={false} size="sm">
              {LAUNCH_STEPS.map((step, index) => (
                <Stepper.Step
                  key={step.key}
                  label={step.label}
                  description={step.description}
                  color={hasErrors(errorsOf(step.key)) ? "red" : undefined}
                >
                  <Title order={2} size="h4" mb="sm" tabIndex={-1} ref={stepHeading} style={{ outline: "none" }}>
                    Step {index + 1} of {LAUNCH_STEPS.length}: {step.label}
                  </Title>
                  {step.key === "details" && (
                    <DetailsStep values={values.details} errors={errorsOf("details")} onChange={(v) => update("details", v)} />
                  )}
                  {step.key === "source" && (
                    <SourceStep
                      images={images.data}
                      volumes={volumes.data}
                      values={values.source}
                      errors={errorsOf("source")}
                      onChange={(v) => update("source", v)}
                    />
                  )}
                  {step.key === "flavor" && (
                    <FlavorStep
                      flavors={flavors.data}
                      image={image}
                      values={values.flavor}
                      errors={errorsOf("flavor")}
                      onChange={(v) => update("flavor", v)}
                      quotaBlockerOf={quotaBlockerOf}
                      noHostReasonOf={noHostReasonOf}
                    />
                  )}
                  {step.key === "network" && (
                    <NetworksStep
                      networks={networks.data}
                      values={values.network}
                      errors={errorsOf("network")}
                      onChange={(v) => update("network", v)}
                    />
                  )}
                  {step.key === "security" && (
                    <SecurityGroupsStep
                      value={values.security.securityGroupIds}
                      onChange={(securityGroupIds) => update("security", { securityGroupIds })}
                      error={errorsOf("security").securityGroupIds}
                    />
                  )}
                  {step.key === "keyPair" && (
                    <KeyPairStep
                      value={values.keyPair.keyName}
                      onChange={(keyName) => update("keyPair", { keyName })}
                      error={errorsOf("keyPair").keyName}
                    />
                  )}
                  {step.key === "configuration" && (
                    <ConfigurationStep
                      values={values.configuration}
                      errors={errorsOf("configuration")}
                      onChange={(v) => update("configuration", v)}
                    />
                  )}
                  {step.key === "volumes" && (
                    <VolumesStep
                      value={values.volumes.volumes}
                      onChange={(v) => update("volumes", { volumes: v })}
                      error={errorsOf("volumes").volumes}
                    />
                  )}
                  {step.key === "placement" && (
                    <PlacementStep
                      zones={zones.data}
                      serverGroups={serverGroups.data}
                      canForceHost={principal.isAdmin}
                      values={values.placement}
                      errors={errorsOf("placement")}
                      onChange={(v) => update("placement", v)}
                    />
                  )}
                </Stepper.Step>
              ))}
            </Stepper>
            {serverError && (
              <Alert color="red" title="Launch failed" withCloseButton closeButtonLabel="Dismiss" onClose={() => setServerError(null)}>
                {serverError.message}
                {unplacedFieldErrors.length > 0 && (
                  <List size="sm" mt={4}>
                    {unplacedFieldErrors.map(([field, messages]) => (
                      <List.Item key={field}>
                        {field}: {messages.join(" ")}
                      </List.Item>
                    ))}
                  </List>
                )}
              </Alert>
            )}
            <Group justify="space-between">
              <Button component={Link} href="/project/instances" variant="subtle" color="gray">
                Cancel
              </Button>
              <Group>
                <Button variant="default" onClick={() => goTo(Math.max(0, active - 1))} disabled={active === 0}>
                  Back
                </Button>
                {!isLast && (
                  <Button type="submit" variant={canLaunch ? "default" : "filled"}>
                    Next
                  </Button>
                )}
                {canLaunch && (
                  <Button type={isLast ? "submit" : "button"} onClick={isLast ? undefined : submit} loading={launch.isPending}>
                    Launch instance
                  </Button>
                )}
              </Group>
            </Group>
          </Stack>
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 4 }}>
        <LaunchQuotaPanel impacts={impacts} flavorChosen={Boolean(flavor)} />
      </Grid.Col>
    </Grid>
  );
}

import { Progress, Stack, Text } from "@mantine/core";

/** How many of a subnet's pool addresses are taken: a bar and "12 of 253 addresses used". */
export function AddressUsage({ used, size, subnetLabel }: { used: number; size: number; subnetLabel: string }) {
  const share = size === 0 ? 100 : Math.round((used / size) * 100);
  const color = share >= 90 ? "red" : share >= 70 ? "yellow" : "blue";
  const summary = `${used} of ${size} ${size === 1 ? "address" : "addresses"} used`;
  return (
    <Stack gap={4} miw={160}>
      {/* The bar's track is the progressbar, so it is there (and named) even when nothing is used. */}
      <Progress.Root
        size="md"
        role="progressbar"
        aria-label={`Addresses used in ${subnetLabel}`}
        aria-valuemin={0}
        aria-valuemax={size}
        aria-valuenow={used}
        aria-valuetext={summary}
      >
        <Progress.Section value={share} color={color} withAria={false} />
      </Progress.Root>
      <Text size="xs" c={share >= 90 ? "red" : "dimmed"}>
        {summary}
      </Text>
    </Stack>
  );
}

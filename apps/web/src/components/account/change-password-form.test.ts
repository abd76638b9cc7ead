import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createElement, type ComponentProps } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { TRPCProvider } from "@/lib/trpc";
import type { AppRouter } from "@/server/trpc/router";
import { ChangePasswordForm } from "./change-password-form";

/** The form as the server renders it, before anything is typed (nothing is sent). */
function render(): string {
  const queryClient = new QueryClient();
  const trpcClient = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "http://127.0.0.1:9/api/trpc", transformer: superjson })] });
  return renderToStaticMarkup(
    createElement(
      QueryClientProvider,
      { client: queryClient },
      // Its props type names `children`, which createElement passes as its third argument.
      createElement(
        TRPCProvider,
        { trpcClient, queryClient } as ComponentProps<typeof TRPCProvider>,
        createElement(MantineProvider, null, createElement(ChangePasswordForm)),
      ),
    ),
  );
}

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

describe("ChangePasswordForm", () => {
  it("says, next to the form, that a new password signs out other sessions and revokes every API token", () => {
    const html = render();
    expect(text(html)).toContain(
      "Changing your password signs out your other sessions and revokes all your API tokens, and their live connections close at once.",
    );
    expect(text(html)).toContain("This session stays open; scripts need a new token.");
    // The form is described by that sentence, so a screen reader announces it with the form.
    const described = /<form[^>]*aria-describedby="([^"]+)"/.exec(html)?.[1];
    expect(described).toBeDefined();
    expect(html).toMatch(new RegExp(`<p[^>]*id="${described}"[^>]*>Changing your password`));
  });

  it("keeps its fields' accessible labels", () => {
    const labels = [...render().matchAll(/<label[^>]*for="([^"]+)"[^>]*>([^<]+)/g)].map((m) => m[2]?.trim());
    expect(labels).toEqual(["Current password", "New password", "Confirm new password"]);
  });
});

"use client";

import { Alert, Badge, Button, CloseButton, Group, List, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { useLastTarget } from "@/lib/use-last-target";
import { MEMBER_STATUS, memberLabel, type ImageSummary } from "./image-display";

interface ShareImageDialogProps {
  /** The image to share; null keeps the dialog closed. */
  image: ImageSummary | null;
  onClose(): void;
  onChanged(): void;
}

/**
 * Glance image members: the owner offers an image to other projects by project id (their users
 * find it on their Images page); each member accepts or rejects the offer, and sees the image only
 * once it accepted. Members are listed with their answer, by name once they accepted.
 */
export function ShareImageDialog({ image, onClose, onChanged }: ShareImageDialogProps) {
  // Keep the content on screen while the dialog animates closed.
  const current = useLastTarget(image);
  return (
    <Modal opened={image !== null} onClose={onClose} title={current ? `Share image ${current.name}` : ""} centered>
      {current && <ShareImageForm key={current.id} image={current} onChanged={onChanged} onClose={onClose} />}
    </Modal>
  );
}

function ShareImageForm({ image, onChanged, onClose }: { image: ImageSummary; onChanged(): void; onClose(): void }) {
  const trpc = useTRPC();
  const [projectId, setProjectId] = useState("");
  const [members, setMembers] = useState(image.members);
  const add = useMutation(
    trpc.images.addMember.mutationOptions({
      onSuccess: (updated) => {
        setMembers(updated.members);
        setProjectId("");
        onChanged();
      },
    }),
  );
  const remove = useMutation(
    trpc.images.removeMember.mutationOptions({
      onSuccess: (updated) => {
        setMembers(updated.members);
        onChanged();
      },
    }),
  );
  const addError = add.error ? toFormError(add.error) : null;
  const removeError = remove.error ? toFormError(remove.error) : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    remove.reset();
    add.mutate({ id: image.id, projectId: projectId.trim() });
  }

  return (
    <Stack>
      <Text size="sm">
        A project you share the image with sees it and can launch it once one of its members accepts; only your project may change or delete it.
        {image.visibility === "private" ? " Sharing makes the image shared." : ""}
      </Text>
      {members.length === 0 ? (
        <Text size="sm" c="dimmed">
          Not shared with any project yet.
        </Text>
      ) : (
        <List spacing={4} aria-label="Projects the image is shared with">
          {members.map((member) => (
            <List.Item key={member.projectId}>
              <Group gap="xs" wrap="nowrap">
                <Text size="sm" ff={member.projectName ? undefined : "monospace"}>
                  {memberLabel(member)}
                </Text>
                <Badge size="sm" variant="light" color={MEMBER_STATUS[member.status].color}>
                  {MEMBER_STATUS[member.status].label}
                </Badge>
                <CloseButton
                  size="sm"
                  aria-label={`Stop sharing with ${memberLabel(member)}`}
                  onClick={() => remove.mutate({ id: image.id, projectId: member.projectId })}
                />
              </Group>
            </List.Item>
          ))}
        </List>
      )}
      {removeError && (
        <Alert color="red" title="Could not stop sharing">
          {removeError.message}
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Project id"
            description="The id of the project to share with, as its users see it on their Images page."
            placeholder="00000000-0000-0000-0000-000000000000"
            required
            value={projectId}
            onChange={(e) => {
              setProjectId(e.currentTarget.value);
              if (add.isError) add.reset();
            }}
            error={
              addError?.fieldErrors.projectId?.[0] ??
              addError?.fieldErrors.id?.[0] ??
              (addError && Object.keys(addError.fieldErrors).length === 0 ? addError.message : undefined)
            }
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Done
            </Button>
            <Button type="submit" loading={add.isPending}>
              Share
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

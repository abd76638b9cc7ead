"use client";

import { useParams } from "next/navigation";
import { InstanceProgressView } from "@/components/instances/progress/instance-progress-view";

export default function InstancePage() {
  const { id } = useParams<{ id: string }>();
  return <InstanceProgressView key={id} id={id} />;
}

#!/bin/bash
# apache/kafka's kafka-storage.sh at the same path, on this image's jars.
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS_TOOLS:--Xmx256m} exec kafka-run-class kafka.tools.StorageTool "$@"

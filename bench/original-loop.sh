#!/usr/bin/env bash
# The original design's poll loop, reproduced so that the relay can be
# measured beside it: ask SQS how many messages wait, receive one, run the
# submit script on the login node through a new ssh connection with the
# message's VERSION, delete the message with the AWS CLI, sleep, repeat.
#
#   bench/original-loop.sh [ITERATIONS] [SLEEP_SECONDS]
#
# It reads the original container's settings: QURL, USERID, RIVANNA_HOST,
# RIVANNA_SCRIPT, plus RIVANNA_PORT, SSH_KEY_FILE, SSH_KNOWN_HOSTS and
# SQS_ENDPOINT for the local stack. The benchmark runs one iteration with
# no sleep and adds the sleep to the figures afterwards. The job id sbatch
# prints on the login node comes out on standard output.
set -euo pipefail

iterations=${1:-1}
pause=${2:-30}

sqs() {
  aws --endpoint-url "$SQS_ENDPOINT" sqs "$@"
}

submit() {
  ssh -i "$SSH_KEY_FILE" -p "$RIVANNA_PORT" \
    -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes "$USERID@$RIVANNA_HOST" /bin/bash "$RIVANNA_SCRIPT" "$1"
}

for ((i = 1; i <= iterations; i++)); do
  size=$(sqs get-queue-attributes --queue-url "$QURL" \
    --attribute-names ApproximateNumberOfMessages \
    --query Attributes.ApproximateNumberOfMessages --output text)

  if [ "$size" -gt 0 ]; then
    # One tab-separated line: the receipt handle, then VERSION.
    received=$(sqs receive-message --queue-url "$QURL" \
      --max-number-of-messages 1 --message-attribute-names VERSION \
      --query 'Messages[0].[ReceiptHandle, MessageAttributes.VERSION.StringValue]' \
      --output text)
    handle=${received%%$'\t'*}
    version=${received#*$'\t'}

    submit "$version"
    sqs delete-message --queue-url "$QURL" --receipt-handle "$handle"
  fi

  if [ "$i" -lt "$iterations" ] && [ "$pause" -gt 0 ]; then
    sleep "$pause"
  fi
done

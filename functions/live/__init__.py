"""The console's live view on API Gateway's WebSocket API: $connect, $disconnect, the fan-out."""

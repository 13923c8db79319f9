// Realtime for the SDK client (`client.realtime`, `client.channel()`; docs/sdk-realtime.md):
// one shared WebSocket per client speaking the server's protocol (docs/realtime.md
// "Protocol"), channels with postgres_changes, broadcast and presence listeners.
// Web-standard globals only: the WebSocket class is the global one or the one passed in the
// client options, never a Node module.
export { RealtimeChannel, type RealtimeChannelState } from './channel.ts';
export { RealtimeClient, type RealtimeClientSettings, type RealtimeConnectionState } from './realtime-client.ts';
export type * from './types.ts';

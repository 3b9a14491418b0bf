export { createEventBus, type EventBus, type EventSubscription, type SubscribeOptions } from './event-bus';
export { tenantChannel, eventTopics, type EventTopic } from './event-channel';
export { BoundedEventQueue, slowConsumerBytesError, slowConsumerError, type OverflowPolicy } from './bounded-event-queue';
export { mapEventStream, type EventStreamOptions } from './event-stream';
export { terminalJobStatuses, isJobEventPayload, type JobEventPayload, type JobEventKind, type JobEventStatus } from './job-event';
export { createChannelListener, type ChannelListener, type ChannelListenerOptions } from './channel-listener';

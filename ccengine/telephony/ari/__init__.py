"""A thin asyncio ARI client on aiohttp: REST calls, typed errors and the events websocket."""

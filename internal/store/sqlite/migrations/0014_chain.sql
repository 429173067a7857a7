-- Real chains watched through a node's JSON-RPC (a crypto config's chain
-- "rpc"). node names the node (its URL without credentials). chain_blocks
-- holds the (height, hash) of every block processed, so that watching resumes
-- after a restart from the last one, with no gap and no block counted twice,
-- and a reorganization shows as a stored hash the node no longer has at that
-- height. Only the last blocks are kept (older ones cannot be reorganized).
CREATE TABLE chain_blocks (
	node         TEXT NOT NULL,
	currency     TEXT NOT NULL,
	height       INTEGER NOT NULL,
	hash         TEXT NOT NULL,
	processed_at INTEGER NOT NULL,
	PRIMARY KEY (node, currency, height)
);

-- The outputs seen paying a deposit address: height 0 while the transaction
-- waits in the node's mempool (replaceable: it signals BIP125 replace-by-fee
-- or spends an unconfirmed output), else the block holding it (block_hash).
-- An output whose block is orphaned, or whose transaction leaves the mempool
-- unmined (replaced, evicted), is deleted: it no longer pays.
CREATE TABLE chain_outputs (
	node        TEXT NOT NULL,
	currency    TEXT NOT NULL,
	txid        TEXT NOT NULL,
	vout        INTEGER NOT NULL,
	address     TEXT NOT NULL,
	amount      TEXT NOT NULL,
	height      INTEGER NOT NULL,
	block_hash  TEXT NOT NULL,
	replaceable BOOLEAN NOT NULL,
	seen_at     INTEGER NOT NULL,
	PRIMARY KEY (node, currency, txid, vout)
);
CREATE INDEX chain_outputs_address_idx ON chain_outputs (node, currency, address);
CREATE INDEX chain_outputs_height_idx ON chain_outputs (node, currency, height);

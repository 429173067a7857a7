// Package btcdtest starts a real Bitcoin node for tests and walk-throughs:
// btcd (github.com/btcsuite/btcd, built from its module the first time) in
// regtest, its RPC on a loopback port without TLS, mining to a key this
// package holds, so that a test can pay any address from the coinbase
// outputs, replace a payment (BIP125), orphan a block (invalidateblock),
// and stop and restart the node on the same data.
package btcdtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela/internal/chain/rpc"
)

// Credentials of the node's RPC.
const (
	User     = "pasarela"
	Password = "regtest-password"
)

// MinerKey is the private key the node mines to (regtest only, public on
// purpose): its coinbase outputs pay every test payment.
var MinerKey, _ = btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x42}, 32))

// MinerAddress is the P2PKH regtest address of MinerKey.
func MinerAddress() *btcutil.AddressPubKeyHash {
	a, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(MinerKey.PubKey().SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		panic(err)
	}
	return a
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// BtcdModule is the btcd the tests run, the version go.mod pins.
const BtcdModule = "github.com/btcsuite/btcd@v0.24.2"

// Binary returns the path of a btcd binary: $PASARELA_BTCD when set, else
// one built once per machine (in the temporary directory) from BtcdModule,
// which takes half a minute the first time.
func Binary() (string, error) {
	if p := os.Getenv("PASARELA_BTCD"); p != "" {
		return p, nil
	}
	buildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "pasarela-btcd-v0.24.2")
		buildPath = filepath.Join(dir, "btcd")
		if _, err := os.Stat(buildPath); err == nil {
			return
		}
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		// go install pkg@version builds btcd with its own go.mod's
		// requirements: this module's btcec (v2.3.5, pinned for the
		// HD keys) changed an API btcd v0.24.2's main package uses.
		tmp, err := os.MkdirTemp(dir, "build")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("go", "install", BtcdModule)
		cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build btcd: %v: %s", err, out)
			return
		}
		buildErr = os.Rename(filepath.Join(tmp, "btcd"), buildPath)
	})
	return buildPath, buildErr
}

// Node is a running btcd in regtest.
type Node struct {
	// URL is the node's JSON-RPC URL as the gateway reaches it: through
	// a proxy on loopback that Disconnect and Reconnect cut and restore,
	// a node going down and coming back as the gateway sees it.
	URL string
	// Client talks to the node directly, for the test's own calls.
	Client *rpc.Client

	bin, dir, listen string
	cmd              *exec.Cmd
	exited           chan struct{}
	spent            map[wire.OutPoint]bool
	proxy            *proxy
}

// Start starts a node whose data lives in dir, its RPC on a free loopback
// port reached through a proxy (URL), and mines past coinbase maturity so
// that MinerKey has coins to spend.
func Start(dir string) (*Node, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	n, err := Run(dir, "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	if n.proxy, err = newProxy(n.listen); err != nil {
		n.Stop()
		return nil, err
	}
	n.URL = "http://" + n.proxy.addr
	return n, nil
}

// Connect returns a Node for a btcd already running in regtest with this
// package's credentials and mining address (the walk-through's), to pay
// and mine on it.
func Connect(url string) *Node {
	return &Node{URL: url, Client: rpc.NewClient(url, User, Password, nil), spent: map[wire.OutPoint]bool{}}
}

// Run starts a node whose data lives in dir with its RPC at listen (no
// proxy: URL is the node's own), and mines past coinbase maturity.
func Run(dir, listen string) (*Node, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	n := &Node{bin: bin, dir: dir, listen: listen, spent: map[wire.OutPoint]bool{}}
	n.URL = "http://" + n.listen
	n.Client = rpc.NewClient(n.URL, User, Password, nil)
	if err := n.Restart(); err != nil {
		return nil, err
	}
	count, err := n.Client.BlockCount(context.Background())
	if err != nil {
		n.Stop()
		return nil, err
	}
	if count < 110 {
		if _, err := n.Generate(int(110 - count)); err != nil {
			n.Stop()
			return nil, err
		}
	}
	return n, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Restart starts the node's process (after Stop) on the same port and
// waits until its RPC answers. btcd starts every regtest chain afresh
// (it removes the regtest database when it starts).
func (n *Node) Restart() error {
	if n.cmd != nil {
		return errors.New("btcdtest: the node is running")
	}
	cmd := exec.Command(n.bin, "--regtest", "--datadir="+filepath.Join(n.dir, "data"), "--logdir="+filepath.Join(n.dir, "logs"),
		"--rpcuser="+User, "--rpcpass="+Password, "--rpclisten="+n.listen, "--notls", "--nolisten",
		"--miningaddr="+MinerAddress().EncodeAddress(), "--debuglevel=warn")
	log, err := os.OpenFile(filepath.Join(n.dir, "btcd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	n.cmd, n.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(n.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := n.Client.BlockCount(context.Background()); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			n.Stop()
			out, _ := os.ReadFile(filepath.Join(n.dir, "btcd.out"))
			return fmt.Errorf("btcd did not answer: %v: %s", err, out)
		}
		select {
		case <-n.exited:
			out, _ := os.ReadFile(filepath.Join(n.dir, "btcd.out"))
			n.cmd = nil
			return fmt.Errorf("btcd exited: %s", out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Wait waits until the node's process exits.
func (n *Node) Wait() {
	if n.cmd != nil {
		<-n.exited
	}
}

// Disconnect cuts the gateway's link to the node: connections to URL are
// refused until Reconnect.
func (n *Node) Disconnect() {
	if n.proxy != nil {
		n.proxy.stop()
	}
}

// Reconnect restores the link Disconnect cut, on the same address.
func (n *Node) Reconnect() error {
	if n.proxy == nil {
		return errors.New("btcdtest: the node has no proxy")
	}
	return n.proxy.start()
}

// Close stops the node and its proxy. It is safe to call twice.
func (n *Node) Close() {
	if n.proxy != nil {
		n.proxy.stop()
	}
	n.Stop()
}

// Stop stops the node's process (interrupt, then kill after 10 s) and
// waits for it. It is safe to call twice. Note that btcd deletes a regtest
// chain when it starts: a node restarted with Restart has a new chain.
func (n *Node) Stop() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	n.cmd = nil
}

// Generate mines blocks and returns their hashes.
func (n *Node) Generate(blocks int) ([]string, error) {
	var hashes []string
	err := n.Client.Call(context.Background(), "generate", &hashes, blocks)
	return hashes, err
}

// InvalidateBlock orphans a block and those after it; their transactions
// return to the mempool.
func (n *Node) InvalidateBlock(hash string) error {
	return n.Client.Call(context.Background(), "invalidateblock", nil, hash)
}

// Fee is what each payment pays the miners, in satoshi; a replacement pays
// ten times as much.
const Fee = 2000

// Payment is a transaction a test sent, to replace it.
type Payment struct {
	TxID  string
	input wire.OutPoint
	value int64
}

// Pay sends amount (in BTC) to address from a mature coinbase output of
// MinerKey, the change back to MinerAddress; rbf makes it signal BIP125.
func (n *Node) Pay(address string, amount decimal.Decimal, rbf bool) (*Payment, error) {
	ctx := context.Background()
	op, value, err := n.coinbase(ctx)
	if err != nil {
		return nil, err
	}
	to, err := btcutil.DecodeAddress(address, &chaincfg.RegressionNetParams)
	if err != nil {
		return nil, err
	}
	p := &Payment{input: op, value: value}
	p.TxID, err = n.send(ctx, op, value, to, amount.Shift(8).IntPart(), Fee, rbf)
	if err != nil {
		return nil, err
	}
	n.spent[op] = true
	return p, nil
}

// Replace replaces a payment sent with rbf by one spending the same coins
// that pays the miner instead (the buyer's double spend).
func (n *Node) Replace(p *Payment) (string, error) {
	return n.send(context.Background(), p.input, p.value, MinerAddress(), 0, 10*Fee, true)
}

// send builds, signs and broadcasts a transaction spending op (value
// satoshi, paid to MinerAddress) to pay amount satoshi to to, the rest less
// fee back to MinerAddress.
func (n *Node) send(ctx context.Context, op wire.OutPoint, value int64, to btcutil.Address, amount, fee int64, rbf bool) (string, error) {
	minerScript, err := txscript.PayToAddrScript(MinerAddress())
	if err != nil {
		return "", err
	}
	tx := wire.NewMsgTx(wire.TxVersion)
	in := wire.NewTxIn(&op, nil, nil)
	if rbf {
		in.Sequence = wire.MaxTxInSequenceNum - 2
	}
	tx.AddTxIn(in)
	if amount > 0 {
		script, err := txscript.PayToAddrScript(to)
		if err != nil {
			return "", err
		}
		tx.AddTxOut(wire.NewTxOut(amount, script))
	}
	tx.AddTxOut(wire.NewTxOut(value-amount-fee, minerScript))
	sig, err := txscript.SignatureScript(tx, 0, minerScript, txscript.SigHashAll, MinerKey, true)
	if err != nil {
		return "", err
	}
	tx.TxIn[0].SignatureScript = sig
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return "", err
	}
	var txid string
	if err := n.Client.Call(ctx, "sendrawtransaction", &txid, hex.EncodeToString(buf.Bytes())); err != nil {
		return "", err
	}
	return txid, nil
}

// coinbase finds a coinbase output of MinerKey deep enough to spend that no
// payment of this node spent yet.
func (n *Node) coinbase(ctx context.Context) (wire.OutPoint, int64, error) {
	tip, err := n.Client.BlockCount(ctx)
	if err != nil {
		return wire.OutPoint{}, 0, err
	}
	// Outputs spent by transactions waiting in the mempool (gettxout
	// shows them unspent).
	pool, err := n.Client.RawMempool(ctx)
	if err != nil {
		return wire.OutPoint{}, 0, err
	}
	for _, id := range pool {
		tx, err := n.Client.RawTransaction(ctx, id)
		if err != nil {
			continue
		}
		for _, in := range tx.TxIn {
			n.spent[in.PreviousOutPoint] = true
		}
	}
	for h := int64(1); h <= tip-101; h++ {
		hash, err := n.Client.BlockHash(ctx, h)
		if err != nil {
			return wire.OutPoint{}, 0, err
		}
		b, err := n.Client.Block(ctx, hash)
		if err != nil {
			return wire.OutPoint{}, 0, err
		}
		cb := b.Transactions[0]
		op := wire.OutPoint{Hash: cb.TxHash(), Index: 0}
		if n.spent[op] {
			continue
		}
		// Spent in a block by an earlier process (the walk-through's
		// pay command)? gettxout answers null.
		var out *struct {
			Value float64 `json:"value"`
		}
		if err := n.Client.Call(ctx, "gettxout", &out, op.Hash.String(), 0, false); err != nil {
			return wire.OutPoint{}, 0, err
		}
		if out != nil {
			return op, cb.TxOut[0].Value, nil
		}
		n.spent[op] = true
	}
	return wire.OutPoint{}, 0, errors.New("btcdtest: no mature coinbase output left: mine more blocks")
}

// AccountKey returns the vpub (BIP84 account key, native segwit) of account
// m/84'/1'/account' of a fixed test seed: a merchant's regtest wallet, whose
// deposit addresses start with bcrt1q. Tests sharing a node take one
// account each, so that their addresses never meet.
func AccountKey(account uint32) (string, error) {
	master, err := hdkeychain.NewMaster(bytes.Repeat([]byte{0x07}, 32), &chaincfg.RegressionNetParams)
	if err != nil {
		return "", err
	}
	k := master
	for _, i := range []uint32{84, 1, account} {
		if k, err = k.Derive(hdkeychain.HardenedKeyStart + i); err != nil {
			return "", err
		}
	}
	pub, err := k.Neuter()
	if err != nil {
		return "", err
	}
	vpub, err := pub.CloneWithVersion([]byte{0x04, 0x5f, 0x1c, 0xf6})
	if err != nil {
		return "", err
	}
	return vpub.String(), nil
}

// proxy forwards TCP connections from a loopback address to the node.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	l            net.Listener
	conns        map[net.Conn]bool
}

func newProxy(target string) (*proxy, error) {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = l.Addr().String()
	p.serve(l)
	return p, nil
}

func (p *proxy) start() error {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(l)
	return nil
}

func (p *proxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// stop closes the listener and every open connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

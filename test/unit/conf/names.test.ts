// Host and user names as OpenSSH checks them (valid_hostname/valid_ruser), and the conf files'
// IPv6 forms that must keep working.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {parseHostFile} from '../../../src/lib/conf/host-files.ts'
import {hostEntryProblem, hostNameProblem, printable, userNameProblem} from '../../../src/lib/conf/names.ts'
import {parseZooCfg} from '../../../src/lib/conf/zoo-cfg.ts'

const GOOD_HOSTS = ['h1', 'tm-1.example.com', 'tm_1', '10.0.0.1', '::1', '2001:db8::1', '[2001:db8::1]', 'fe80::1%eth0', '[fe80::1%eth0]', 'xn--bcher-kva.example', 'bücher.example', 'HOST', 'a/b']
const BAD_HOSTS: [string, RegExp][] = [
  ['a;b', /';'/], ['$(id)', /'\$'/], ['w`x`', /'`'/], ['x|y', /'\|'/], ['a&b', /'&'/], ['a>b', /'>'/], ['a<b', /'<'/],
  ['(x)', /'\('/], ['{x}', /'\{'/], ["a'b", /"?'/], ['a"b', /'"'/], ['a\\b', /'\\'/], ['a,b', /','/],
  ['a b', /whitespace/], ['a\tb', /control character \(U\+0009\)/], ['a\nb', /control/], ['a\rb', /control/],
  ['a\u0000b', /U\+0000/], ['a\u007fb', /U\+007F/], ['a\u0085b', /control/], ['a\u00a0b', /whitespace/], ['a\u2028b', /whitespace/],
  ['-oProxyCommand=x', /starts with '-'/], ['[-x]', /'\['/], ['', /empty/], ['*', /'\*'/], ['h?', /'\?'/], ['h#1', /'#'/],
  ['a@b', /'@'/], ['x'.repeat(256), /longer than 255/],
]

describe('host and user names', () => {
  for (const h of GOOD_HOSTS) it(`accepts host ${JSON.stringify(h)}`, () => assert.equal(hostNameProblem(h), undefined))
  for (const [h, why] of BAD_HOSTS) {
    it(`refuses host ${JSON.stringify(h.slice(0, 20))}`, () => assert.match(hostNameProblem(h) ?? 'accepted', why))
  }

  it('checks user names as ssh does, plus $ \\ and , (they reach %r unquoted)', () => {
    for (const u of ['flink', 'svc.flink', 'user@CORP.EXAMPLE', 'a-b', 'a_b', 'u1']) assert.equal(userNameProblem(u), undefined, u)
    for (const u of ['-l', 'a;b', '$(id)', '`id`', 'a b', 'a\nb', 'a$b', 'a\\', 'a|b', '']) assert.notEqual(userNameProblem(u), undefined, u)
  })

  it('splits user@host at the last @ and names the part that is wrong', () => {
    assert.equal(hostEntryProblem('flink@tm1'), undefined)
    assert.equal(hostEntryProblem('svc@CORP@tm1'), undefined)
    assert.match(hostEntryProblem('a;b@tm1') ?? '', /user name 'a;b'/)
    assert.match(hostEntryProblem('flink@tm;1') ?? '', /host part 'tm;1'/)
    assert.match(hostEntryProblem('@tm1') ?? '', /starts with '@'/)
  })

  it('shows control characters escaped', () => {
    assert.equal(printable('a\u0000b\u001b[31m'), 'a\\x00b\\x1b[31m')
    assert.equal(printable('x'.repeat(100)).length, 80)
  })

  it('reads [v6]:port in masters and [v6]:peer:leader in zoo.cfg', () => {
    const m = parseHostFile('[2001:db8::1]:8081\nflink@[::1]:8082\n[::2]\nh1:8081\n', 'masters', 'masters').list.entries
    assert.deepEqual(m.map((e) => [e.host, e.port]), [['2001:db8::1', 8081], ['flink@::1', 8082], ['::2', undefined], ['h1', 8081]])
    const z = parseZooCfg('server.1=[2001:db8::1]:2888:3888;2181\nserver.2=zk2:2888:3888\n', 'zoo.cfg')
    assert.deepEqual(z.notes, [])
    assert.deepEqual(z.zoo.servers.map((s) => [s.host, s.peerPort, s.leaderPort, s.clientPort]), [['2001:db8::1', 2888, 3888, 2181], ['zk2', 2888, 3888, undefined]])
  })
})

from autograder.checks import CallLog, check, expect


@check("greet_all", points=6, en="each name runs in its own thread", zh="每个名字在自己的线程里")
def test_threads(threads):
    log = CallLog()
    threads.greet_all(["a", "b", "c"], log)
    expect(len(set(log.threads())) == 3, en="got {n} threads", zh="{n} 个线程", n=len(set(log.threads())))

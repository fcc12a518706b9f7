from gateway.bootstrap import main

main()
